// A KV cache of fixed capacity, written in place (webgpu only). Growing the cache by concatenation
// makes new shapes at every generated token: a new buffer size (a fresh GPU buffer, 15–300 µs
// each on an H100), new uniforms and new bind groups for every kernel that touches it. With the
// capacity fixed for a whole sample() call, every decode step has the same shapes, reuses the
// same buffers and hits the dispatch caches; the new keys and values are copied into their rows
// of the cache by one small kernel, and attention masks the rows not yet written.
import * as tf from '@tensorflow/tfjs';
import type { WebgpuProgram } from './matmul.js';

const WG = 256;

/**
 * Copies x [B, H, T, hd] into rows [pos, pos + T) of cache [B, H, S, hd]. pos comes in a tensor,
 * not a uniform: uniforms that change at every token would miss the dispatch caches.
 */
class KvWriteProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey = 'siricKvWrite';
  dispatchLayout: { x: number[] } = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['X', 'Pos'];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'n : i32, rows : i32, capacity : i32, hd : i32,';
  constructor(cacheShape: number[], n: number) {
    this.outputShape = cacheShape;
    this.dispatch = [Math.ceil(n / WG), 1, 1];
  }
  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.n) {
      let d = index % uniforms.hd;
      let t = (index / uniforms.hd) % uniforms.rows;
      let bh = index / (uniforms.hd * uniforms.rows);
      setOutputAtIndex((bh * uniforms.capacity + Pos[0] + t) * uniforms.hd + d, X[index]);
    }
  }`;
  }
}

interface InPlaceBackend {
  runWebGPUProgram(program: WebgpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms: { type: string; data: number[] }[], output: tf.TensorInfo): tf.TensorInfo;
}

/**
 * Writes x into rows [pos, pos + T) of `cache` in place (posTensor: an int32 scalar holding pos,
 * checked against the shapes here). `cache` must be a float32 tensor that
 * nothing else shares (made by tf.fill, never reshaped or cloned), and not be under a gradient tape:
 * this changes a tensor's contents, which tfjs otherwise never does.
 */
export function writeKvRows(cache: tf.Tensor4D, x: tf.Tensor4D, pos: number, posTensor: tf.Tensor): void {
  const [B, H, S, hd] = cache.shape;
  const [xb, xh, T, xd] = x.shape;
  if (tf.getBackend() !== 'webgpu') throw new Error('writeKvRows: webgpu only');
  if (xb !== B || xh !== H || xd !== hd || pos < 0 || pos + T > S) throw new Error(`writeKvRows: rows [${pos}, ${pos + T}) of [${x.shape}] do not fit a cache of [${cache.shape}]`);
  const n = x.size;
  if (n === 0) return;
  const backend = tf.backend() as unknown as InPlaceBackend;
  const int = (v: number) => ({ type: 'int32', data: [v] });
  backend.runWebGPUProgram(new KvWriteProgram(cache.shape, n), [x, posTensor], 'float32', [int(n), int(T), int(S), int(hd)], { dataId: cache.dataId, shape: cache.shape, dtype: 'float32' });
}
