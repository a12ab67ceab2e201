// Gradients we register in place of tfjs's own, where its own costs far more than the arithmetic.
//
// tfjs 4.22 differentiates Sum and Mean as dy · ones(x.shape), and `ones` builds that tensor in
// JavaScript (a Float32Array of x's size filled with 1) which the backend must then upload. For a
// log-softmax over [8192, 2048] logits that is 64 MB made and copied at every step: measured on an
// H100, half of the MLP step's 145 ms (docs/benchmarks.md). Here the ones are made by the backend
// (OnesLike: a fill, nothing built on the host) and on webgpu dy is simply broadcast (Tile: one
// copy kernel). Both give the same numbers as tfjs's own (dy · 1 = dy exactly). wasm keeps the
// multiplication: its Tile kernel is slower than a broadcasting multiply (measured: 7 Tiles took
// 113 ms of a 900 ms tiny step).
import * as tf from '@tensorflow/tfjs';

/** dy reshaped to keep x's reduced axes as 1, then broadcast to x's shape. */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const expanded = tf.reshape(dy, kept);
  const g = tf.getBackend() === 'webgpu' ? tf.broadcastTo(expanded, x.shape) : tf.mul(expanded, tf.onesLike(x));
  return g.dtype === 'float32' ? g : tf.cast(g, 'float32');
}

const sumGrad: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    const { axis } = attrs as unknown as tf.SumAttrs;
    return { x: () => broadcastBack(dy as tf.Tensor, x!, axis) };
  },
};

const meanGrad: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    const { axis } = attrs as unknown as tf.MeanAttrs;
    const axes = tf.util.parseAxisParam(axis, x!.shape);
    const reduceSize = axes.reduce((n, a) => n * x!.shape[a]!, 1);
    // tfjs's own: div(mul(expandedDy, ones), reduceSize); the same division, without the ones.
    return { x: () => tf.div(broadcastBack(dy as tf.Tensor, x!, axis), reduceSize) };
  },
};

let registered = false;

/** Registers our Sum and Mean gradients (once per process; they apply to every backend). */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient(sumGrad);
  tf.registerGradient(meanGrad);
}
