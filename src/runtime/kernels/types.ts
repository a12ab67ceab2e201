// The few backend internals our kernels use, typed structurally so that the backends' own classes
// need not be imported (nor their packages loaded) to register a kernel.

import type * as tf from '@tensorflow/tfjs';

export type NumericArray = Float32Array | Int32Array;

/** @tensorflow/tfjs-backend-wasm's BackendWasm: tensors live in the WebAssembly module's heap. */
export interface HeapBackend {
  /** Allocates (malloc, not zeroed) an output on the heap and registers it with the module. */
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.TypedArray): tf.TensorInfo;
  /** A view (no copy) of a tensor's bytes in the heap; detached if the heap grows afterwards. */
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
}

/** @tensorflow/tfjs-backend-cpu's MathBackendCPU: tensors are JS typed arrays. */
export interface JsBackend {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.TypedArray): tf.TensorInfo;
}
