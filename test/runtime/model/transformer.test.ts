// The transformer and KV-cache sampling: incremental decoding must equal full recomputation.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildMask, parameterShapes, Transformer } from '../../../src/runtime/model/transformer.js';
import { sample } from '../../../src/runtime/rl/sampler.js';
import { Rng } from '../../../src/runtime/rng.js';
import { tinyConfig } from '../../helpers/model.js';


/** log-probs of `seq[t]` for t >= from, by one full forward pass without a cache. */
function fullLogps(m: Transformer, seq: number[], from: number, T = 1): number[] {
  return tf.tidy(() => {
    const L = seq.length;
    const { logits } = m.forward({
      ids: tf.tensor2d(seq, [1, L], 'int32'),
      positions: tf.tensor2d(seq.map((_, i) => i), [1, L], 'int32'),
      mask: buildMask([new Uint8Array(L).fill(1)], 0, L),
    });
    const lp = (tf.logSoftmax(tf.div(logits, T)) as tf.Tensor3D).arraySync()[0]!;
    const out: number[] = [];
    for (let t = from; t < L; t++) out.push(lp[t - 1]![seq[t]!]!);
    return out;
  });
}

describe('transformer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('names parameters as Hugging Face does', () => {
    const names = parameterShapes(tinyConfig({ attention_bias: true, tie_word_embeddings: false })).map(([n]) => n);
    expect(names).toContain('model.layers.1.self_attn.k_proj.bias');
    expect(names).toContain('lm_head.weight');
    expect(names).toContain('model.layers.0.mlp.gate_proj.weight');
  });

  it('initialises deterministically from the seed', () => {
    const a = new Transformer(tinyConfig(), undefined, 5);
    const b = new Transformer(tinyConfig(), undefined, 5);
    const c = new Transformer(tinyConfig(), undefined, 6);
    const w = (m: Transformer) => Array.from(m.params.get('model.layers.0.self_attn.q_proj.weight')!.dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('KV-cache sampling gives the log-probs of full recomputation, with left-padded prompts', async () => {
    const m = new Transformer(tinyConfig(), undefined, 1);
    const prompts = [
      [1, 5, 6],
      [1, 7, 8, 9, 10],
    ];
    for (const greedy of [true, false]) {
      const s = await sample(m, prompts, { maxNew: 8, eos: 2, pad: 0, greedy, temperature: 0.8, topP: 1, topK: 0, rng: new Rng(3) });
      prompts.forEach((p, b) => {
        const seq = [...p, ...s.tokens[b]!];
        const full = fullLogps(m, seq, p.length, greedy ? 1 : 0.8);
        expect(s.logps[b]!.length).toBe(s.tokens[b]!.length);
        s.logps[b]!.forEach((lp, i) => expect(lp).toBeCloseTo(full[i]!, 4));
      });
    }
    m.dispose();
  });

  it('stops at EOS and marks budget hits as truncated', async () => {
    const m = new Transformer(tinyConfig(), undefined, 2);
    // Make EOS overwhelmingly likely by biasing the tied embedding of token 2.
    const s = await sample(m, [[1, 3]], { maxNew: 3, eos: 2, pad: 0, greedy: true, temperature: 1, topP: 1, topK: 0, rng: new Rng(1) });
    expect(s.tokens[0]!.length).toBeLessThanOrEqual(3);
    expect(s.truncated[0]).toBe(s.tokens[0]!.length === 3 && s.tokens[0]![2] !== 2);
    m.dispose();
  });

  it('leaks no tensors while sampling', async () => {
    const m = new Transformer(tinyConfig(), undefined, 3);
    const before = tf.memory().numTensors;
    await sample(m, [[1, 4], [1, 4, 5, 6]], { maxNew: 6, eos: 2, pad: 0, greedy: false, temperature: 1, topP: 0.9, topK: 5, rng: new Rng(9) });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  for (const failAt of [1, 3]) {
    it(`frees the KV cache when the ${failAt === 1 ? 'prefill' : 'second decode step'} fails`, async () => {
      const m = new Transformer(tinyConfig(), undefined, 3);
      const forward = m.forward.bind(m);
      let calls = 0;
      m.forward = (input) => {
        if (++calls === failAt) throw new Error('the device went away');
        return forward(input);
      };
      const before = tf.memory().numTensors;
      await expect(sample(m, [[1, 4], [1, 4, 5, 6]], { maxNew: 6, eos: -1, pad: 0, greedy: true, temperature: 1, topP: 1, topK: 0, rng: new Rng(9) })).rejects.toThrow('the device went away');
      expect(tf.memory().numTensors).toBe(before);
      m.dispose();
    });
  }
});
