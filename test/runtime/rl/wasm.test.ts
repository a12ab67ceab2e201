// The loss path on the wasm backend, which has no UnsortedSegmentSum kernel (so tf.gather's
// gradient fails there): tokenLogProbs must pick targets with a one-hot product instead.
// Values are compared with the cpu backend, computed first in this same file.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { policyLoss, tokenLogProbs } from '../../../src/runtime/rl/loss.js';
import { AdamW } from '../../../src/runtime/optim/adamw.js';

const N = 2;
const T = 3;
const V = 5;
const LOGITS = Array.from({ length: N * T * V }, (_, i) => Math.sin(1.7 * i) * 2);
const TARGETS = [4, 0, 2, 1, 3, 3];
const OLD = [-1.4, -1.9, -1.2, -1.6, -2.1, 0];
const MASK = [1, 1, 1, 1, 1, 0];

/** Σ-loss of the whole chain logits → tokenLogProbs → policyLoss, and its gradient w.r.t. the logits. */
function chain(): { loss: number; grad: number[]; logp: number[] } {
  return tf.tidy(() => {
    const targets = tf.tensor2d(TARGETS, [N, T], 'int32');
    const f = (l: tf.Tensor): tf.Scalar => {
      const { logp, entropy } = tokenLogProbs(l as tf.Tensor3D, targets, 0.9);
      return policyLoss({ logpNew: logp, logpOld: tf.tensor2d(OLD, [N, T]), advantages: tf.tensor1d([0.7, -1.1]), mask: tf.tensor2d(MASK, [N, T]), clipLow: 0.2, clipHigh: 0.28, agg: 'token_mean', entropy, entropyCoef: 0.01 }).loss;
    };
    const logits = tf.tensor3d(LOGITS, [N, T, V]);
    const { value, grad } = tf.valueAndGrad(f)(logits);
    const logp = tokenLogProbs(logits, targets, 0.9).logp;
    return { loss: value.dataSync()[0]!, grad: Array.from(grad.dataSync()), logp: Array.from(logp.dataSync()) };
  });
}

let cpu: ReturnType<typeof chain>;
let wasmError: string | undefined;

beforeAll(async () => {
  await tf.setBackend('cpu');
  cpu = chain();
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) wasmError = 'tf.setBackend("wasm") returned false';
  } catch (e) {
    wasmError = (e as Error).message;
  }
});

describe('on the wasm backend', () => {
  it('tokenLogProbs and policyLoss give the cpu values and a gradient', (ctx) => {
    if (wasmError) {
      console.warn(`skipping the wasm check: @tensorflow/tfjs-backend-wasm did not load (${wasmError})`);
      ctx.skip(`wasm backend unavailable: ${wasmError}`);
    }
    expect(tf.getBackend()).toBe('wasm');
    const w = chain();
    expect(w.loss).toBeCloseTo(cpu.loss, 5);
    w.logp.forEach((x, i) => expect(x).toBeCloseTo(cpu.logp[i]!, 5));
    w.grad.forEach((x, i) => expect(x).toBeCloseTo(cpu.grad[i]!, 5));
    expect(w.grad.some((x) => x !== 0)).toBe(true);
  });

  it('tf.gather has no gradient there (why the one-hot product is used)', (ctx) => {
    if (wasmError) ctx.skip(`wasm backend unavailable: ${wasmError}`);
    expect(() => tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.gather(x, tf.tensor1d([0, 2], 'int32'))))(tf.tensor1d([1, 2, 3])))).toThrow(/UnsortedSegmentSum/);
  });

  it('AdamW steps without leaking', (ctx) => {
    if (wasmError) ctx.skip(`wasm backend unavailable: ${wasmError}`);
    const params = new Map<string, tf.Variable>([['w', tf.tidy(() => tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2])))]]);
    const opt = new AdamW(params, { weightDecay: 0.1 });
    const g = new Map([['w', tf.tensor2d([0.1, -0.2, 0.3, -0.4], [2, 2])]]);
    const before = tf.memory().numTensors;
    opt.step(g, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    // first step: w − 0.1·(sign(g) + 0.1·w) = [0.89, 2.08, 2.87, 4.06]
    Array.from(params.get('w')!.dataSync()).forEach((x, i) => expect(x).toBeCloseTo([0.89, 2.08, 2.87, 4.06][i]!, 5));
    opt.dispose();
    tf.dispose([...g.values(), ...params.values()]);
  });
});
