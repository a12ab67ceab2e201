// Writing into an existing tensor on webgpu. tfjs never changes a tensor's contents: every op makes
// a new one, and a variable's assign() swaps in another buffer. Keeping some buffers fixed
// (parameters, optimizer moments, a step graph's inputs: runtime/webgpu/graph.ts) needs writes in
// place, and those must respect three things tfjs assumes:
//
// - queue.writeBuffer takes effect before any command not yet submitted, so what tfjs has recorded
//   must be submitted first, or a kernel recorded earlier would read the new contents;
// - after a read, tfjs keeps the values on the CPU and answers later reads from them, so a tensor
//   written on the device must drop that copy;
// - a tensor's data may be shared (a reshape or a clone takes a reference, not a copy), and a
//   write changes every tensor that shares it: only a sole owner may be written.
import * as tf from '@tensorflow/tfjs';

interface TensorData {
  values: unknown;
  resource: unknown;
  refCount: number;
}
interface InPlaceBackend {
  tensorMap: { get(id: object): TensorData | undefined; has(id: object): boolean };
  commandEncoder: unknown;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  queue: { writeBuffer(buffer: object, offset: number, data: ArrayBufferView): void };
}

const webgpu = (): InPlaceBackend => {
  if (tf.getBackend() !== 'webgpu') throw new Error('in-place writes: webgpu only');
  return tf.backend() as unknown as InPlaceBackend;
};

/** Submits whatever tfjs has recorded (so that a queue write lands after it). */
export function flushRecorded(): void {
  const b = webgpu();
  if (!b.commandEncoder) return;
  b.endComputePassEncoder();
  b.submitQueue();
}

/** Whether t alone holds its data (no reshape, clone or other tensor shares it). */
export function soleOwner(t: tf.Tensor): boolean {
  return webgpu().tensorMap.get(t.dataId)?.refCount === 1;
}

/** The GPU buffer behind t (uploading t first if it is still on the CPU). */
export function bufferOf(t: tf.TensorInfo): object {
  const b = webgpu();
  b.uploadToGPU(t.dataId);
  const d = b.tensorMap.get(t.dataId);
  if (!d?.resource) throw new Error('bufferOf: the tensor has no GPU buffer');
  return d.resource as object;
}

/** Call after a kernel wrote into t: later reads must come from the device, not a CPU copy. */
export function markWrittenOnDevice(t: tf.TensorInfo): void {
  const d = webgpu().tensorMap.get(t.dataId);
  if (d) d.values = null;
}

/** Overwrites t's contents with `data` (same length and element size), in order with recorded work. */
export function overwrite(t: tf.Tensor, data: Float32Array | Int32Array): void {
  if (data.length !== t.size) throw new Error(`overwrite: ${data.length} values for a tensor of ${t.size}`);
  if ((t.dtype === 'float32') !== data instanceof Float32Array) throw new Error(`overwrite: ${data.constructor.name} for a ${t.dtype} tensor`);
  const buffer = bufferOf(t);
  flushRecorded();
  webgpu().queue.writeBuffer(buffer, 0, data);
  markWrittenOnDevice(t);
}
