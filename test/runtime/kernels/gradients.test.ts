// Our Sum and Mean gradients give tfjs's own numbers, bit for bit, without building a tensor of
// ones on the host (tfjs's makes x.shape of them in JavaScript at every backward pass).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../../src/runtime/backend.js';

beforeAll(async () => {
  registerTrainingKernels();
  await tf.setBackend('cpu');
});

function data(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 3), shape);
}

const CASES: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
  { shape: [5, 7], axis: -1, keepDims: false },
  { shape: [5, 7], axis: 0, keepDims: true },
  { shape: [2, 3, 4], axis: [0, 2], keepDims: false },
  { shape: [2, 3, 4], axis: [1], keepDims: true },
  { shape: [6], axis: 0, keepDims: false },
];

describe('Sum and Mean gradients', () => {
  for (const c of CASES) {
    for (const op of ['sum', 'mean'] as const) {
      it(`${op} over ${JSON.stringify(c.axis)} of [${c.shape.join(', ')}]${c.keepDims ? ', keepDims' : ''} equals dy · ones (${op === 'mean' ? '/ n' : 'exactly'})`, () => {
        const x = data(c.shape, 1);
        const w = data(tf.sum(x, c.axis, c.keepDims).shape, 2); // a non-uniform upstream gradient
        const f = (t: tf.Tensor): tf.Scalar => tf.sum(tf.mul(op === 'sum' ? tf.sum(t, c.axis, c.keepDims) : tf.mean(t, c.axis, c.keepDims), w));
        const got = tf.grad(f)(x);
        // What tfjs computes: dy reshaped with the reduced axes kept, times ones(x.shape) (÷ n for mean).
        const axes = tf.util.parseAxisParam(c.axis, c.shape);
        const kept = c.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const n = axes.reduce((p, a) => p * c.shape[a]!, 1);
        let want = tf.mul(tf.reshape(w, kept), tf.ones(c.shape));
        if (op === 'mean') want = tf.div(want, n);
        expect(got.shape).toEqual(c.shape);
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        tf.dispose([x, w, got, want]);
      });
    }
  }

  it('builds no tensor of x.shape on the host: the ones come from a backend kernel (OnesLike)', async () => {
    const x = data([64, 32], 3);
    const before = tf.memory().numTensors;
    const prof = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.mean(tf.sum(tf.square(t), -1)) as tf.Scalar)(x));
    const names = prof.kernels.map((k) => k.name);
    // tfjs's own uploads a host-made tensor of ones for each of the two reductions: no OnesLike.
    expect(names.filter((n) => n === 'OnesLike').length).toBe(2);
    expect(tf.memory().numTensors - before).toBe(1); // just the result (profile keeps it)
    tf.dispose(x);
  });
});
