// Kernels that training needs and a backend lacks (or has only in a very slow form). Registered once
// per process, before any backend is set, by registerTrainingKernels() (selectBackend calls it).
//
// Of the kernels tfjs-backend-cpu has, tfjs-backend-wasm 4.22 lacks: UnsortedSegmentSum (the gather
// gradient: needed), Einsum, Conv2DBackpropFilter, DepthwiseConv2dNativeBackprop*, the complex/FFT
// kernels, the ragged and string kernels and Draw (none used by a decoder-only LM).

import * as tf from '@tensorflow/tfjs';
import { registerGradients } from './gradients.js';
import { unsortedSegmentSumCpu, unsortedSegmentSumWasm } from './unsorted-segment-sum.js';
import { registerWebgpuAdamKernels } from '../webgpu/kernels/adamw.js';
import { registerWebgpuRowKernels } from '../webgpu/kernels/rows.js';
import { registerWebgpuVocabKernels } from '../webgpu/kernels/vocab.js';
import { registerWebgpuKernels } from '../webgpu/kernels/matmul.js';
import { registerWebgpuSegmentSum } from '../webgpu/kernels/segment-sum.js';

export { segmentSumInto, unsortedSegmentSumCpu, unsortedSegmentSumWasm } from './unsorted-segment-sum.js';

interface Replacement {
  kernelName: string;
  backendName: string;
  kernelFunc: tf.KernelFunc;
  /** Replace a builtin kernel of the same name (else only fill a gap). */
  replace: boolean;
}

const REPLACEMENTS: Replacement[] = [
  { kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as tf.KernelFunc, replace: false },
  { kernelName: tf.UnsortedSegmentSum, backendName: 'cpu', kernelFunc: unsortedSegmentSumCpu as tf.KernelFunc, replace: true },
];

/**
 * Registers our kernels (idempotent: a kernel already ours is left alone). Returns the
 * `Kernel@backend` names registered by this call.
 */
export function registerTrainingKernels(): string[] {
  registerGradients();
  const done: string[] = [];
  for (const r of REPLACEMENTS) {
    const existing = tf.getKernel(r.kernelName, r.backendName);
    if (existing?.kernelFunc === r.kernelFunc) continue;
    if (existing) {
      if (!r.replace) continue; // the backend has grown its own: keep it
      tf.unregisterKernel(r.kernelName, r.backendName);
    }
    tf.registerKernel({ kernelName: r.kernelName, backendName: r.backendName, kernelFunc: r.kernelFunc });
    done.push(`${r.kernelName}@${r.backendName}`);
  }
  // BatchMatMul@webgpu and UnsortedSegmentSum@webgpu replace builtins that exist only once the webgpu package is imported: a no-op before that, so call again after it.
  done.push(...registerWebgpuKernels(), ...registerWebgpuSegmentSum());
  // Kernels of our own names for webgpu (AdamW's fused update): registering them needs no package.
  done.push(...registerWebgpuAdamKernels(), ...registerWebgpuRowKernels(), ...registerWebgpuVocabKernels());
  return done;
}
