// Backend selection and the kernels we register for training (wasm lacks UnsortedSegmentSum, cpu's
// is very slow): both must equal a hand-computed result and each other, without leaking tensors.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels, releaseBackend, selectBackend } from '../../../src/runtime/backend.js';
import { unsortedSegmentSumCpu, unsortedSegmentSumWasm } from '../../../src/runtime/kernels/index.js';
import { RunError } from '../../../src/runtime/types.js';

afterAll(async () => {
  await releaseBackend();
});

/** Whether this machine's Dawn finds a GPU (then `auto` rightly picks webgpu, not wasm). */
async function hasGpuAdapter(): Promise<boolean> {
  try {
    const spec = 'webgpu';
    const { create } = (await import(spec)) as { create: (o: string[]) => { requestAdapter(): Promise<unknown> } };
    return (await create([]).requestAdapter()) != null;
  } catch {
    return false;
  }
}

describe('selectBackend', () => {
  it('auto picks wasm here, with notes on why tensorflow and webgpu were skipped', async () => {
    if (await hasGpuAdapter()) return; // a GPU machine: webgpu is the right answer there
    const b = await selectBackend('auto');
    expect(b.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(b.device).toMatch(/WebAssembly/);
    expect(b.notes.some((n) => n.startsWith('tensorflow: @tensorflow/tfjs-node-gpu is not installed'))).toBe(true);
    expect(b.notes.some((n) => n.startsWith('tensorflow: @tensorflow/tfjs-node is not installed'))).toBe(true);
    expect(b.notes.some((n) => n.startsWith('webgpu: '))).toBe(true);
    expect(b.notes.every((n) => !n.includes('\n'))).toBe(true);
    // the webgpu probe left nothing behind
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    expect(tf.findBackendFactory('webgpu')).toBeFalsy();
  });

  it('auto does not try webgpu for a small model, and says why; a big one gets it tried', async () => {
    const small = await selectBackend('auto', { params: 1.3e5 });
    expect(small.notes.find((n) => n.startsWith('webgpu: '))).toMatch(/^webgpu: not tried for a model of 0\.13M parameters, which samples faster on wasm.*--backend webgpu, or backend = webgpu in the pipeline block/);
    const big = await selectBackend('auto', { params: 1.5e9 });
    if (big.name !== 'webgpu') expect(big.notes.find((n) => n.startsWith('webgpu: '))).not.toMatch(/not tried/);
  });

  it('selecting twice is fine (the webgpu probe is remembered)', async () => {
    const a = await selectBackend('wasm');
    const b = await selectBackend('wasm');
    expect(a).toEqual(b);
    expect(a.notes).toEqual([]);
  });

  it('cpu works', async () => {
    const b = await selectBackend('cpu');
    expect(b).toMatchObject({ name: 'cpu', notes: [] });
    expect(tf.getBackend()).toBe('cpu');
    const s = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
    expect(s).toEqual([4, 6]);
  });

  it('an unavailable explicit backend is a RunError with the reason and a hint', async () => {
    const err = await selectBackend('tensorflow').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunError);
    const e = err as RunError;
    expect(e.message).toMatch(/^backend `tensorflow` is not available: /);
    expect(e.message).toContain('@tensorflow/tfjs-node-gpu is not installed');
    expect(e.message).toContain('@tensorflow/tfjs-node is not installed');
    expect(e.hint).toMatch(/install @tensorflow\/tfjs-node-gpu/);
  });

  it('webgpu without an adapter is a RunError (skipped where a GPU exists)', async () => {
    if (await hasGpuAdapter()) return;
    await expect(selectBackend('webgpu')).rejects.toThrow(/backend `webgpu` is not available: no (GPU adapter found|Vulkan loader|GPU device on this machine)/);
    await releaseBackend();
    await releaseBackend(); // twice is fine
  });
});

describe('training kernels', () => {
  it('registration is idempotent and replaces cpu\'s builtin', () => {
    registerTrainingKernels();
    expect(registerTrainingKernels()).toEqual([]);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')?.kernelFunc).toBe(unsortedSegmentSumWasm);
    expect(tf.getKernel('UnsortedSegmentSum', 'cpu')?.kernelFunc).toBe(unsortedSegmentSumCpu);
  });

  // x: 5 rows of 3; ids send rows to segments 2, 0, 2, 3, 0 of 4 (segment 1 gets nothing).
  const x = [
    [1, 2, 3],
    [10, 20, 30],
    [100, 200, 300],
    [-1, -2, -3],
    [0.5, 0.25, 0.125],
  ];
  const ids = [2, 0, 2, 3, 0];
  const expected = [
    [10.5, 20.25, 30.125],
    [0, 0, 0],
    [101, 202, 303],
    [-1, -2, -3],
  ];

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`UnsortedSegmentSum on ${backend} equals the hand-computed sums`, async () => {
      await selectBackend(backend);
      const before = tf.memory().numTensors;
      const out = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(x), tf.tensor1d(ids, 'int32'), 4));
      expect(out.shape).toEqual([4, 3]);
      expect(out.arraySync()).toEqual(expected);
      out.dispose();
      // 1-D data, int32 data, an empty segment list, higher-rank rows
      const one = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([1, 1, 0, 3], 'int32'), 4).arraySync());
      expect(one).toEqual([3, 3, 0, 4]);
      const ints = tf.tidy(() => {
        const r = tf.unsortedSegmentSum(tf.tensor1d([5, 6, 7], 'int32'), tf.tensor1d([0, 0, 1], 'int32'), 2);
        return { dtype: r.dtype, v: r.arraySync() };
      });
      expect(ints).toEqual({ dtype: 'int32', v: [11, 7] });
      const rank3 = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]), tf.tensor1d([1, 1], 'int32'), 2).arraySync());
      expect(rank3).toEqual([[[0, 0], [0, 0]], [[6, 8], [10, 12]]]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  /** d/dtable of sum(gather(table, ids) * w): the embedding gradient. */
  function gatherGrad(table: number[][], idx: number[][], w: number[][][]): { grad: Float32Array; tensorsAfter: number; tensorsBefore: number } {
    const tensorsBefore = tf.memory().numTensors;
    const t = tf.tensor2d(table);
    const i = tf.tensor2d(idx, undefined, 'int32');
    const wt = tf.tensor3d(w);
    const g = tf.grad((tt: tf.Tensor) => tf.sum(tf.mul(tf.gather(tt, i), wt)))(t);
    const grad = g.dataSync() as Float32Array;
    tf.dispose([t, i, wt, g]);
    return { grad: Float32Array.from(grad), tensorsBefore, tensorsAfter: tf.memory().numTensors };
  }

  it('the gradient of tf.gather on wasm equals cpu and the one-hot reference', async () => {
    const vocab = 37;
    const dim = 8;
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const table = Array.from({ length: vocab }, () => Array.from({ length: dim }, rand));
    const idx = Array.from({ length: 4 }, () => Array.from({ length: 16 }, () => Math.floor(((rand() + 1) / 2) * vocab)));
    idx[0]![0] = idx[0]![1] = idx[3]![15] = 5; // repeats must accumulate
    const w = idx.map((row) => row.map(() => Array.from({ length: dim }, rand)));

    await selectBackend('wasm');
    const onWasm = gatherGrad(table, idx, w);
    expect(onWasm.tensorsAfter).toBe(onWasm.tensorsBefore);

    await selectBackend('cpu');
    const onCpu = gatherGrad(table, idx, w);
    expect(onCpu.tensorsAfter).toBe(onCpu.tensorsBefore);

    // reference, by hand in float64: grad[v] = sum of w[b][s] over positions with idx[b][s] == v
    const ref = new Float64Array(vocab * dim);
    idx.forEach((row, b) => row.forEach((v, s) => w[b]![s]!.forEach((x, d) => (ref[v * dim + d] += x))));

    expect(onWasm.grad.length).toBe(vocab * dim);
    let maxDiff = 0;
    let maxRef = 0;
    for (let k = 0; k < ref.length; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(onWasm.grad[k]! - onCpu.grad[k]!));
      maxRef = Math.max(maxRef, Math.abs(onWasm.grad[k]! - ref[k]!));
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
    expect(maxRef).toBeLessThanOrEqual(1e-5);
  });

  it('a large embedding gradient is fast on cpu (the builtin loops once per row)', async () => {
    await selectBackend('cpu');
    const t0 = performance.now();
    const g = tf.tidy(() => {
      const table = tf.zeros([4096, 64]);
      const ids = tf.randomUniformInt([2048], 0, 4096);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))(table);
    });
    const total = tf.sum(g);
    expect(total.dataSync()[0]).toBeCloseTo(2048 * 64, 0);
    tf.dispose([g, total]);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
