// Batched autoregressive sampling with a KV cache: the prompt is run once (prefill), then each new
// token costs one forward pass over a single position. Prompts of different lengths are
// left-padded, with pads masked out of attention and rotary positions starting at 0 after them,
// so a sequence sees exactly what it would see alone.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import { buildMask, type KvCache, type Transformer } from '../model/transformer.js';

export interface SampleOptions {
  /** Most new tokens per sequence (the schedule's budget), EOS included. */
  maxNew: number;
  eos: number;
  pad: number;
  greedy: boolean;
  temperature: number;
  topP: number;
  /** 0: off. */
  topK: number;
  rng: Rng;
}

export interface Samples {
  /** Generated token ids per sequence (EOS included when produced). */
  tokens: number[][];
  /** log π(token) under the temperature-scaled full distribution, per generated token. */
  logps: number[][];
  /** Hit maxNew without producing EOS. */
  truncated: boolean[];
}

export function sample(model: Transformer, prompts: readonly number[][], o: SampleOptions): Samples {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const ctx = model.config.max_position_embeddings;
  const maxNew = Math.max(0, Math.min(o.maxNew, ctx - P));
  const tokens: number[][] = prompts.map(() => []);
  const logps: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  if (maxNew === 0) return { tokens, logps, truncated: new Array<boolean>(B).fill(o.maxNew > 0) };

  // Left-pad: row b has pads[b] pad tokens before its prompt.
  const pads = prompts.map((p) => P - p.length);
  const ids = new Int32Array(B * P);
  const pos = new Int32Array(B * P);
  const valid = prompts.map(() => new Uint8Array(P + maxNew));
  prompts.forEach((p, b) => {
    for (let t = 0; t < P; t++) {
      const real = t >= pads[b]!;
      ids[b * P + t] = real ? p[t - pads[b]!]! : o.pad;
      pos[b * P + t] = real ? t - pads[b]! : 0;
      valid[b]![t] = real ? 1 : 0;
    }
  });

  let cache: KvCache | undefined;
  let last: Float32Array;
  // Prefill.
  {
    const out = tf.tidy(() => {
      const r = model.forward({ ids: tf.tensor2d(ids, [B, P], 'int32'), positions: tf.tensor2d(pos, [B, P], 'int32'), mask: buildMask(valid, 0, P) });
      const lastLogits = r.logits.slice([0, P - 1, 0], [B, 1, -1]).reshape([B, -1]);
      return { lastLogits, k: r.cache.k, v: r.cache.v };
    });
    last = out.lastLogits.dataSync() as Float32Array;
    out.lastLogits.dispose();
    cache = { k: out.k, v: out.v };
  }

  const V = model.config.vocab_size;
  const next = new Int32Array(B);
  const nextPos = new Int32Array(B);
  for (let step = 0; step < maxNew; step++) {
    for (let b = 0; b < B; b++) {
      if (done[b]) {
        next[b] = o.pad;
        continue;
      }
      const { token, logp } = pick(last.subarray(b * V, (b + 1) * V), o);
      tokens[b]!.push(token);
      logps[b]!.push(logp);
      next[b] = token;
      valid[b]![P + step] = 1;
      if (token === o.eos) done[b] = true;
    }
    if (done.every(Boolean) || step === maxNew - 1) break;
    for (let b = 0; b < B; b++) nextPos[b] = prompts[b]!.length + step;
    const prev: KvCache = cache!;
    const out = tf.tidy(() => {
      const r = model.forward({
        ids: tf.tensor2d(next, [B, 1], 'int32'),
        positions: tf.tensor2d(nextPos, [B, 1], 'int32'),
        mask: buildMask(valid, P + step, 1),
        cache: prev,
      });
      return { lastLogits: r.logits.reshape([B, V]), k: r.cache.k, v: r.cache.v };
    });
    for (const t of [...prev.k, ...prev.v]) t.dispose();
    cache = { k: out.k, v: out.v };
    last = out.lastLogits.dataSync() as Float32Array;
    out.lastLogits.dispose();
  }
  for (const t of [...cache!.k, ...cache!.v]) t.dispose();
  return { tokens, logps, truncated: tokens.map((t) => t.length >= maxNew && t[t.length - 1] !== o.eos) };
}

/** Choose the next token from one row of logits; its log-probability is under softmax(logits / T). */
export function pick(logits: Float32Array, o: Pick<SampleOptions, 'greedy' | 'temperature' | 'topP' | 'topK' | 'rng'>): { token: number; logp: number } {
  const V = logits.length;
  const T = o.greedy ? 1 : o.temperature;
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[i]! / T);
  const p = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) z += p[i] = Math.exp(logits[i]! / T - max);
  const logZ = Math.log(z) + max;
  let token = 0;
  if (o.greedy) {
    for (let i = 1; i < V; i++) if (logits[i]! > logits[token]!) token = i;
  } else {
    // Keep the top-k, then the smallest set whose mass reaches top-p; sample within it.
    // Without either, every token is a candidate and no sort is needed.
    let order = o.topK > 0 || o.topP < 1 ? Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b) : Array.from({ length: V }, (_, i) => i);
    if (o.topK > 0) order = order.slice(0, o.topK);
    if (o.topP < 1) {
      let mass = 0;
      const keep: number[] = [];
      for (const i of order) {
        keep.push(i);
        mass += p[i]! / z;
        if (mass >= o.topP) break;
      }
      order = keep;
    }
    let total = 0;
    for (const i of order) total += p[i]!;
    let u = o.rng.float() * total;
    token = order[order.length - 1]!;
    for (const i of order) {
      u -= p[i]!;
      if (u < 0) {
        token = i;
        break;
      }
    }
  }
  return { token, logp: logits[token]! / T - logZ };
}
