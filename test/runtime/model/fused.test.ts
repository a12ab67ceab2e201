// The fused blocks (RMSNorm, rotary embedding, attention as single ops with hand-written
// gradients) against tfjs's autodiff of the composite they replace: the same forward values and
// the same gradients to float32 rounding, through a whole model with GQA, padding and a KV cache.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configFromScratch } from '../../../src/runtime/model/hf-config.js';
import { setFusedBlocks } from '../../../src/runtime/model/fused.js';
import { buildMask, Transformer } from '../../../src/runtime/model/transformer.js';
import { tokenLogProbs } from '../../../src/runtime/rl/loss.js';
import { sample } from '../../../src/runtime/rl/sampler.js';
import { Rng } from '../../../src/runtime/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => setFusedBlocks(undefined));

const V = 29;
function model(attentionBias = false): Transformer {
  const cfg = configFromScratch({ kind: 'scratch', layers: 2, d_model: 32, heads: 4, kv_heads: 2, ffn: 48, context: 64, tie_embeddings: false, rope_theta: 10000, norm_eps: 1e-6 }, V, { bos: 1, eos: 2, pad: 0 }, 'float32');
  const m = new Transformer({ ...cfg, attention_bias: attentionBias }, undefined, 11);
  // Non-zero biases (Qwen2's q/k/v), so that they change the forward pass being checked.
  const rng = new Rng(4);
  for (const [name, v] of m.params) if (name.endsWith('.bias')) v.assign(tf.tensor1d(Float32Array.from({ length: v.size }, () => 0.1 * rng.normal())));
  return m;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 1e-12;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

/** Loss and every gradient of a masked log-prob loss, with left padding in two of three rows. */
function lossAndGrads(m: Transformer): { loss: number; grads: Record<string, Float32Array>; kernels: number } {
  const [B, T] = [3, 10];
  const rng = new Rng(2);
  const ids = tf.tensor2d(Int32Array.from({ length: B * T }, () => 3 + rng.int(V - 3)), [B, T], 'int32');
  const tgt = tf.tensor2d(Int32Array.from({ length: B * T }, () => 3 + rng.int(V - 3)), [B, T], 'int32');
  const pads = [0, 2, 4];
  const pos = tf.tensor2d(Int32Array.from({ length: B * T }, (_, i) => Math.max(0, (i % T) - pads[Math.floor(i / T)]!)), [B, T], 'int32');
  const valid = pads.map((p) => Uint8Array.from({ length: T }, (_, t) => (t >= p ? 1 : 0)));
  let kernels = 0;
  const engine = tf.engine();
  const run = engine.runKernel.bind(engine);
  engine.runKernel = ((...a: unknown[]) => (kernels++, (run as (...x: unknown[]) => unknown)(...a))) as typeof engine.runKernel;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = m.forward({ ids, positions: pos, mask: buildMask(valid, 0, T) });
      return tf.neg(tf.mean(tokenLogProbs(logits, tgt).logp)) as tf.Scalar;
    }, [...m.params.values()]);
    const out = { loss: value.dataSync()[0]!, grads: {} as Record<string, Float32Array>, kernels };
    for (const [name, v] of m.params) out.grads[name] = grads[v.name]!.dataSync() as Float32Array;
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    engine.runKernel = run;
    tf.dispose([ids, tgt, pos]);
  }
}

describe('fused blocks', () => {
  for (const bias of [false, true]) {
    it(`give the composite loss and gradients (every parameter) through a GQA model with padding${bias ? ' and q/k/v biases' : ''}, in fewer kernel calls`, () => {
      const m = model(bias);
      setFusedBlocks(false);
      const want = lossAndGrads(m);
      setFusedBlocks(true);
      const before = tf.memory().numTensors;
      const got = lossAndGrads(m);
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-6 * Math.abs(want.loss));
      for (const [name, g] of Object.entries(want.grads)) expect(relDiff(got.grads[name]!, g), name).toBeLessThan(2e-5);
      // No tape node or saved copy per op inside a block, and shorter backward passes.
      expect(got.kernels).toBeLessThan(0.8 * want.kernels);
      m.dispose();
    });
  }

  it('sample the same tokens with the KV cache (queries shorter than keys)', async () => {
    const m = model();
    const run = async (on: boolean) => {
      setFusedBlocks(on);
      return sample(m, [[1, 5, 6, 7], [1, 9]], { maxNew: 12, eos: -1, pad: 0, greedy: false, temperature: 1, topP: 1, topK: 0, rng: new Rng(8) });
    };
    const [a, b] = [await run(false), await run(true)];
    expect(b.tokens).toEqual(a.tokens);
    for (let i = 0; i < a.logps.length; i++) for (let j = 0; j < a.logps[i]!.length; j++) expect(Math.abs(b.logps[i]![j]! - a.logps[i]![j]!)).toBeLessThan(1e-5);
    m.dispose();
  });
});
