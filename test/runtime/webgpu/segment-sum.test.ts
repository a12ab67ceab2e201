// UnsortedSegmentSum on webgpu (src/runtime/webgpu/kernels/segment-sum.ts) against a JavaScript sum
// in token order: columns fewer than a workgroup, more than one pass of columns, token counts that
// are no multiple of the tile, ids out of range (dropped), a row no token names, rank-3 inputs;
// and where tfjs's kernel runs instead (a table above the size limit), to rounding. Which problems
// go to tfjs's kernel (few tokens per row over a large scan) is checked on their shapes. And the gather gradient it serves, against cpu.
// Runs on the software device (SIRIC_WEBGPU_ADAPTER=gles) where Mesa's GL is installed.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/runtime/backend.js';
import { useWebgpu } from '../../helpers/webgpu.js';
import { SEGMENT_SUM_MAX_ROWS, segmentSumApplies } from '../../../src/runtime/webgpu/kernels/segment-sum.js';
import { Rng } from '../../../src/runtime/rng.js';

const webgpu = useWebgpu();

const rng = new Rng(5);

/** out[ids[n]] += x[n] in token order, ids outside [0, V) dropped. */
function reference(x: Float32Array, ids: Int32Array, V: number, D: number): Float32Array {
  const out = new Float32Array(V * D);
  ids.forEach((s, n) => {
    if (s < 0 || s >= V) return;
    for (let d = 0; d < D; d++) out[s * D + d] = Math.fround(out[s * D + d]! + x[n * D + d]!);
  });
  return out;
}

describe('UnsortedSegmentSum on webgpu', () => {
  for (const [N, inner, V] of [
    [130, [5], 4],
    [64, [64], 2],
    [333, [300], 10],
    [200, [4, 9], 6],
    [97, [8], 16],
    [97, [8], SEGMENT_SUM_MAX_ROWS + 5],
  ] as const) {
    it(`${N} tokens of [${inner.join(', ')}] into ${V} rows`, async (ctx) => {
      if (webgpu.unavailable()) ctx.skip(`webgpu unavailable: ${webgpu.unavailable()}`);
      const D = inner.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: N * D }, () => rng.normal());
      // The cases above are chosen on both sides of the kernel's thresholds: many tokens per row, or
      // a cheap scan (rows × column blocks of 64 × tokens ≤ 2^22); else tfjs's.
      const ours = V <= SEGMENT_SUM_MAX_ROWS && (N >= 32 * V || V * Math.ceil(D / 64) * N <= 2 ** 22);
      // Mostly in range; some -1 and V (dropped; tfjs's kernel wraps V to 0, so only for ours); row 1 named by no token.
      const tooBig = ours ? V : -1;
      const ids = Int32Array.from({ length: N }, (_, n) => (n % 17 === 0 ? -1 : n % 23 === 0 ? tooBig : [0, 2, 3, V - 1][n % 4]! % V));
      const [xt, idt] = [tf.tensor(x, [N, ...inner]), tf.tensor1d(ids, 'int32')];
      expect(segmentSumApplies(xt, idt, V)).toBe(ours);
      const got = tf.unsortedSegmentSum(xt, idt, V);
      expect(got.shape).toEqual([V, ...inner]);
      const g = (await got.data()) as Float32Array;
      const want = reference(x, ids, V, D);
      // Our kernel sums in token order, as the reference: equal. tfjs's atomic one to rounding.
      if (ours) expect(g).toEqual(want);
      else for (let i = 0; i < want.length; i++) expect(Math.abs(g[i]! - want[i]!)).toBeLessThan(1e-4);
      tf.dispose([got, xt, idt]);
    });
  }

  it('leaves to tfjs\'s kernel only large scans with few tokens per row, and tables above the limit', () => {
    const x = (n: number, d: number) => ({ dtype: 'float32' as const, shape: [n, d] }) as unknown as tf.TensorInfo;
    const ids = (n: number) => ({ dtype: 'int32' as const, shape: [n] }) as unknown as tf.TensorInfo;
    // The presets: the MLP's [8192, 512] into 2048 rows (4 per row, 134 M id reads) goes to tfjs's;
    // the small preset's [8192, 128] into 64 rows (128 per row) and a small batch (20 per row, a
    // cheap scan) to ours.
    expect(segmentSumApplies(x(8192, 512), ids(8192), 2048)).toBe(false);
    expect(segmentSumApplies(x(8192, 128), ids(8192), 64)).toBe(true);
    expect(segmentSumApplies(x(640, 64), ids(640), 32)).toBe(true);
    // Either side of the cheap-scan bound (rows × column blocks × tokens = 2^22), 1 token per row.
    expect(segmentSumApplies(x(2048, 64), ids(2048), 2048)).toBe(true);
    expect(segmentSumApplies(x(2048, 65), ids(2048), 2048)).toBe(false);
    expect(segmentSumApplies(x(100_000, 8), ids(100_000), SEGMENT_SUM_MAX_ROWS + 1)).toBe(false);
  });

  it('gives an embedding lookup the cpu backend\'s gradient', async (ctx) => {
    if (webgpu.unavailable()) ctx.skip(`webgpu unavailable: ${webgpu.unavailable()}`);
    const V = 40;
    const D = 24;
    const N = 1300; // 32.5 tokens per row: our kernel
    const table = Float32Array.from({ length: V * D }, () => rng.normal());
    const ids = Int32Array.from({ length: N }, () => rng.int(V));
    const dy = Float32Array.from({ length: N * D }, () => rng.normal());
    const grad = async (): Promise<Float32Array> => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, 'int32')), tf.tensor2d(dy, [N, D]))))(tf.tensor2d(table, [V, D]));
      const out = (await g.data()) as Float32Array;
      g.dispose();
      return out;
    };
    const gpu = await grad();
    await selectBackend('cpu');
    const cpu = await grad();
    await selectBackend('webgpu');
    for (let i = 0; i < cpu.length; i++) expect(Math.abs(gpu[i]! - cpu[i]!)).toBeLessThan(1e-4);
  });
});
