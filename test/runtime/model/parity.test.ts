// The model's forward and backward on wasm equal those on cpu: every gradient within 1e-4.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/runtime/backend.js';
import { buildMask, Transformer } from '../../../src/runtime/model/transformer.js';
import { policyLoss, tokenLogProbs } from '../../../src/runtime/rl/loss.js';
import { tinyConfig } from '../../helpers/model.js';

async function gradsOn(backend: 'cpu' | 'wasm', grpo = false): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  await selectBackend(backend);
  const m = new Transformer(tinyConfig({ attention_bias: true, tie_word_embeddings: false }), undefined, 11);
  const N = 3;
  const L = 7;
  const ids = Array.from({ length: N * L }, (_, i) => 3 + ((i * 7) % 10));
  const targets = Array.from({ length: N * L }, (_, i) => 3 + ((i * 5 + 1) % 10));
  const { value, grads } = tf.variableGrads(() => {
    const { logits } = m.forward({ ids: tf.tensor2d(ids, [N, L], 'int32'), positions: tf.tensor2d(Array.from({ length: N * L }, (_, i) => i % L), [N, L], 'int32'), mask: buildMask(Array.from({ length: N }, () => new Uint8Array(L).fill(1)), 0, L) });
    const { logp, entropy } = tokenLogProbs(logits, tf.tensor2d(targets, [N, L], 'int32'), 0.9);
    if (!grpo) return tf.neg(tf.mean(logp)) as tf.Scalar;
    // One GRPO update's loss: clipped surrogate against shifted old log-probs (some ratios clip),
    // seq-mean-token-mean aggregation, a KL term and an entropy bonus: every piece of the real one.
    const old = tf.add(logp, tf.tensor2d(Array.from({ length: N * L }, (_, i) => ((i % 5) - 2) * 0.15), [N, L])) as tf.Tensor2D;
    const mask = tf.tensor2d(Array.from({ length: N * L }, (_, i) => (i % L < L - 1 - (i % 3) ? 1 : 0)), [N, L]);
    return policyLoss({ logpNew: logp, logpOld: old, advantages: tf.tensor1d([1.2, -0.7, 0.3]), mask, clipLow: 0.2, clipHigh: 0.28, agg: 'seq_mean_token_mean', klCoef: 0.01, logpRef: old, klEstimator: 'k3', entropy, entropyCoef: 0.001 }).loss;
  }, [...m.params.values()]);
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of m.params) out[name] = grads[v.name]!.dataSync() as Float32Array;
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  m.dispose();
  return { loss, grads: out };
}

describe('backend parity', () => {
  it('one GRPO update: loss and every gradient agree between wasm and cpu within 1e-4', async () => {
    const cpu = await gradsOn('cpu', true);
    const wasm = await gradsOn('wasm', true);
    expect(Math.abs(cpu.loss - wasm.loss)).toBeLessThan(1e-4);
    for (const [name, g] of Object.entries(cpu.grads)) {
      const w = wasm.grads[name]!;
      let worst = 0;
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!));
      expect(worst, name).toBeLessThan(1e-4);
    }
    await selectBackend('cpu');
  });

  it('forward and backward agree between wasm and cpu within 1e-4', async () => {
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(Math.abs(cpu.loss - wasm.loss)).toBeLessThan(1e-4);
    expect(Object.keys(wasm.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    for (const [name, g] of Object.entries(cpu.grads)) {
      const w = wasm.grads[name]!;
      let worst = 0;
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!));
      expect(worst, name).toBeLessThan(1e-4);
    }
    // The embedding gradient goes through tf.gather's gradient (UnsortedSegmentSum): it must be non-zero.
    expect(cpu.grads['model.embed_tokens.weight']!.some((x) => x !== 0)).toBe(true);
    await selectBackend('cpu');
  });
});
