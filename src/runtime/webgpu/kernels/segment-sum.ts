// UnsortedSegmentSum on webgpu when many tokens share each output row: the gradient of an embedding
// lookup, out[ids[n], :] += x[n, :], with a small table (the toy vocabularies of the presets and the
// quickstart). tfjs's kernel transposes x, adds every element into the output with a float
// compare-and-swap loop, and transposes back; with 8192 tokens over 64 rows, 128 tokens contend for
// every output row, and the loop spins.
//
// Here one workgroup owns one output row (a block of its columns) and reads the ids in tiles through
// workgroup memory; each thread sums its column over the tokens of that row, in token order. No
// atomics, no transposes, and the sum is deterministic. But every workgroup scans every id, so its
// cost grows with rows × tokens, while the atomics' grows with the contention per row. Measured on
// an H100 (docs/benchmarks.md, "Step graphs on the H100"): 8192 tokens over 64 rows (128 per row),
// ours 0.15 ms against tfjs's 1.33 ms; 8192 tokens over 2048 rows (4 per row), ours 2.32 ms against
// tfjs's 0.20–0.33 ms. So ours takes a problem with at least MIN_TOKENS_PER_ROW tokens per row, or
// one small enough that its scan is cheap whatever the contention (CHEAP_SCANS): one dispatch instead
// of tfjs's three, and a sum in a fixed order where tfjs's atomics add in whatever order the GPU
// runs them.
// SIRIC_WEBGPU_SEGMENT_SUM=builtin selects tfjs's always, for comparisons.
import * as tf from '@tensorflow/tfjs';
import { REDUCE, RowProgram, WG } from './rows.js';
import { replaceWebgpuKernel, type WebgpuBackendLike } from './matmul.js';

/** Most output rows this kernel takes; above, tfjs's atomic kernel. */
export const SEGMENT_SUM_MAX_ROWS = 4096;
/**
 * Fewest tokens per output row (on average) for which this kernel is taken: between the 4 per row
 * where tfjs's was 7–11× faster and the 128 per row where ours was 9× faster, on an H100.
 */
export const SEGMENT_SUM_MIN_TOKENS_PER_ROW = 32;
/**
 * Id reads (rows × column blocks × tokens) below which ours runs at any contention: about 0.07 ms
 * at the H100's measured rate (134 M reads took 2.32 ms), under tfjs's 0.2 ms.
 */
export const SEGMENT_SUM_CHEAP_SCANS = 2 ** 22;

/**
 * One workgroup per (output row, block of WG columns): thread t of block b sums column b·WG + t of
 * its row over the tokens, reading the ids in tiles of WG through workgroup memory.
 */
class SegmentSumProgram extends RowProgram {
  shaderKey = 'siricSegmentSum';
  variableNames = ['X', 'Ids'];
  uniforms = 'blocks : i32, n : i32, cols : i32, colBlocks : i32,';
  getUserCode(): string {
    return `
  ${REDUCE}
  var<workgroup> tile : array<i32, ${WG}>;
  fn main() {
    let at = rowIndex(uniforms.blocks);
    let v = at.x / uniforms.colBlocks;
    let c = (at.x % uniforms.colBlocks) * ${WG} + i32(localIndex);
    let D = uniforms.cols;
    let N = uniforms.n;
    let inside = c < D;
    var acc = 0.0;
    for (var n0 = 0; n0 < N; n0 = n0 + ${WG}) {
      let n = n0 + i32(localIndex);
      tile[localIndex] = select(-1, Ids[min(n, N - 1)], n < N);
      workgroupBarrier();
      for (var j = 0; j < ${WG}; j = j + 1) {
        if (tile[j] == v && inside) { acc = acc + X[(n0 + j) * D + c]; }
      }
      workgroupBarrier();
    }
    if (at.y == 1 && inside) { setOutputAtIndex(v * D + c, acc); }
  }`;
  }
}

let builtin: tf.KernelFunc | undefined;

interface SegmentSumArgs {
  inputs: { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  backend: WebgpuBackendLike;
  attrs: { numSegments: number };
}

/** Whether our kernel takes this problem (else tfjs's). */
export function segmentSumApplies(x: tf.TensorInfo, ids: tf.TensorInfo, numSegments: number): boolean {
  // SIRIC_WEBGPU_SEGMENT_SUM=builtin: tfjs's kernel always (to compare the two on a GPU).
  if (process.env['SIRIC_WEBGPU_SEGMENT_SUM'] === 'builtin') return false;
  if (!(x.dtype === 'float32' && ids.dtype === 'int32' && ids.shape.length === 1 && x.shape.length >= 1 && x.shape[0] === ids.shape[0] && numSegments >= 1 && numSegments <= SEGMENT_SUM_MAX_ROWS)) return false;
  const N = x.shape[0]!;
  const colBlocks = Math.ceil(x.shape.slice(1).reduce((a, b) => a * b, 1) / WG);
  return N >= SEGMENT_SUM_MIN_TOKENS_PER_ROW * numSegments || numSegments * colBlocks * N <= SEGMENT_SUM_CHEAP_SCANS;
}

export function segmentSumWebgpu(args: SegmentSumArgs): tf.TensorInfo {
  const { x, segmentIds } = args.inputs;
  const V = args.attrs.numSegments;
  if (!segmentSumApplies(x, segmentIds, V)) {
    if (!builtin) throw new Error('UnsortedSegmentSum@webgpu: the builtin kernel was not captured');
    return builtin(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const N = x.shape[0]!;
  const rest = x.shape.slice(1);
  const D = rest.reduce((a, b) => a * b, 1);
  const colBlocks = Math.ceil(D / WG);
  const int = (v: number) => ({ type: 'int32' as const, data: [v] });
  return args.backend.runWebGPUProgram(new SegmentSumProgram([V, ...rest], V * colBlocks), [x, segmentIds], 'float32', [int(V * colBlocks), int(N), int(D), int(colBlocks)]);
}

/** tfjs's own UnsortedSegmentSum@webgpu (for comparisons); undefined before the replacement was registered. */
export function builtinSegmentSumWebgpu(): tf.KernelFunc | undefined {
  return builtin;
}

/** Replaces UnsortedSegmentSum@webgpu (capturing the builtin first); a no-op before the webgpu package is loaded. */
export function registerWebgpuSegmentSum(): string[] {
  return replaceWebgpuKernel(tf.UnsortedSegmentSum, segmentSumWebgpu as unknown as tf.KernelFunc, (b) => (builtin = b));
}
