// UnsortedSegmentSum, the kernel behind the gradient of tf.gather (an embedding lookup's gradient
// w.r.t. its table): out[seg[i], ...] += x[i, ...]. The wasm backend has none; the cpu backend's
// builtin loops over every segment with equal/mul/sum (O(segments x size)), far too slow for a
// vocabulary-sized table. Both replacements here do one pass over x.
//
// Semantics (TensorFlow's): segmentIds has shape x.shape[0..k); the output has shape
// [numSegments, ...x.shape[k..]]. Ids outside [0, numSegments) are dropped, as TensorFlow does for
// negative ids (it rejects too-large ones; a gather never produces those).

import * as tf from '@tensorflow/tfjs';
import type { HeapBackend, JsBackend, NumericArray } from './types.js';

/** Adds the rows of `x` (each `inner` long) into `out` at the rows named by `ids`. `out` must be zeroed. */
export function segmentSumInto(x: NumericArray, ids: Int32Array, inner: number, numSegments: number, out: NumericArray): void {
  const n = ids.length;
  if (inner === 1) {
    for (let i = 0; i < n; i++) {
      const s = ids[i]!;
      if (s >= 0 && s < numSegments) out[s] = out[s]! + x[i]!;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] = out[dst + j]! + x[src + j]!;
  }
}

interface UssArgs {
  x: tf.TensorInfo;
  segmentIds: tf.TensorInfo;
  numSegments: number;
  outShape: number[];
  inner: number;
}

function parse(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }, backendName: string): UssArgs {
  const x = args.inputs['x'];
  const segmentIds = args.inputs['segmentIds'];
  const numSegments = Number(args.attrs?.['numSegments']);
  if (!x || !segmentIds) throw new Error(`UnsortedSegmentSum (${backendName}): missing input x or segmentIds`);
  if (!Number.isInteger(numSegments) || numSegments < 0) throw new Error(`UnsortedSegmentSum (${backendName}): numSegments must be a non-negative integer, got ${String(args.attrs?.['numSegments'])}`);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (${backendName}): unsupported dtype ${x.dtype}`);
  if (segmentIds.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (${backendName}): segmentIds must be int32, got ${segmentIds.dtype}`);
  const k = segmentIds.shape.length;
  for (let d = 0; d < k; d++) {
    if (segmentIds.shape[d] !== x.shape[d]) {
      throw new Error(`UnsortedSegmentSum (${backendName}): segmentIds shape [${segmentIds.shape.join(',')}] is not a prefix of x shape [${x.shape.join(',')}]`);
    }
  }
  const rest = x.shape.slice(k);
  return { x, segmentIds, numSegments, outShape: [numSegments, ...rest], inner: tf.util.sizeFromShape(rest) };
}

/**
 * wasm: the tensors live in the module's heap. `makeOutput` mallocs the output first (which may grow
 * the heap and so detach every earlier view of it); only then are views taken, of the output and of
 * the inputs, with `typedArrayFromHeap` (no copies). malloc does not zero, so the output is cleared.
 */
export function unsortedSegmentSumWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, segmentIds, numSegments, outShape, inner } = parse(args, 'wasm');
  const backend = args.backend as HeapBackend;
  const out = backend.makeOutput(outShape, x.dtype);
  const outVals = backend.typedArrayFromHeap(out) as NumericArray;
  outVals.fill(0);
  if (outVals.length === 0) return out;
  const xVals = backend.typedArrayFromHeap(x) as NumericArray;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  segmentSumInto(xVals, ids, inner, numSegments, outVals);
  return out;
}

/** cpu: inputs are JS typed arrays in the backend's data storage; the output is a new one. */
export function unsortedSegmentSumCpu(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, segmentIds, numSegments, outShape, inner } = parse(args, 'cpu');
  const backend = args.backend as JsBackend;
  const outVals = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  const xVals = backend.readSync(x.dataId) as NumericArray;
  const ids = backend.readSync(segmentIds.dataId) as Int32Array;
  segmentSumInto(xVals, ids, inner, numSegments, outVals);
  return backend.makeTensorInfo(outShape, x.dtype, outVals);
}
