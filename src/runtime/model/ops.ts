// Matrix products that avoid the transposed forms of TensorFlow.js's BatchMatMul: on the wasm
// backend, A·Bᵀ and Aᵀ·B run up to 10× slower than A·B for the shapes a transformer uses (measured
// with tf.profile: [8192,64]·[256,64]ᵀ 81 ms vs [8192,256]·[256,64] 7 ms). Transposing an operand
// explicitly and multiplying plainly is much faster, and so is the gradient written the same way.
import * as tf from '@tensorflow/tfjs';

/** Swap the last two axes. */
export function swapLast(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/**
 * On webgpu our BatchMatMul kernel reads every transposed layout natively
 * (src/runtime/webgpu/kernels/matmul.ts), and each explicit transpose would be one more kernel:
 * there the plain tfjs products are used, with tfjs's own gradients.
 */
const nativeTransposes = (): boolean => tf.getBackend() === 'webgpu';

/** a·b (batched over leading axes), with a gradient made only of plain products. */
export const plainMatMul = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => (nativeTransposes() ? tf.matMul(a, b) : plainMatMulGrad(a, b));

const plainMatMulGrad = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy, swapLast(sb)), tf.matMul(swapLast(sa), dy)];
    },
  };
}) as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** a·bᵀ */
export const matMulT = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => (nativeTransposes() ? tf.matMul(a, b, false, true) : plainMatMulGrad(a, swapLast(b)));
