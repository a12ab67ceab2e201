// Batched autoregressive sampling with a KV cache: the prompt is run once (prefill), then each new
// token costs one forward pass over a single position. Prompts of different lengths are
// left-padded, with pads masked out of attention and rotary positions starting at 0 after them,
// so a sequence sees exactly what it would see alone.
import * as tf from '@tensorflow/tfjs';
import { trimGpuBufferPool } from '../backend.js';
import { hasRowKernels } from '../webgpu/kernels/rows.js';
import { PICK } from '../webgpu/kernels/vocab.js';
import type { Rng } from '../rng.js';
import type { DecodeGraphStats } from '../types.js';
import { buildMask, type KvCache, maskValues, type Transformer } from '../model/transformer.js';
import { StepGraph, useStepGraphs } from '../webgpu/graph.js';

export interface SampleOptions {
  /**
   * Most new tokens per sequence (the schedule's budget), EOS included. Each row gets at most what
   * its own prompt leaves of the context (rowBudgets): a long prompt never cuts a short one.
   */
  maxNew: number;
  eos: number;
  pad: number;
  greedy: boolean;
  temperature: number;
  topP: number;
  /** 0: off. */
  topK: number;
  rng: Rng;
  /**
   * Where the next token is chosen. `host` reads each step's logits back and picks in JavaScript;
   * `device` picks on the backend and reads back only the choice (B tokens and log-probs, or the
   * top candidates for top-k/top-p). The default is `device` on webgpu, where a read-back of
   * B×vocab floats per token would dominate, and `host` elsewhere. Both consume the same random
   * numbers in the same order, so they choose the same tokens up to float rounding.
   */
  pickOn?: 'host' | 'device';
  /**
   * The KV cache. `grow`: concatenated at every token. `fixed`: allocated once for the whole call
   * and written in place, so every decode step has the same shapes (webgpu only: on a GPU new
   * shapes cost new buffers and bind groups at every token). Default: fixed on webgpu.
   */
  kvCache?: 'grow' | 'fixed';
}

export interface Samples {
  /** Generated token ids per sequence (EOS included when produced). */
  tokens: number[][];
  /** log π(token) under the temperature-scaled full distribution, per generated token. */
  logps: number[][];
  /** Hit its budget without producing EOS. */
  truncated: boolean[];
  /** Each row's budget: min(maxNew, context − its prompt's length). */
  budgets: number[];
}

/** Each row's response budget: the step's, or what the row's own prompt leaves of the context. */
export function rowBudgets(prompts: readonly number[][], maxNew: number, context: number): number[] {
  return prompts.map((p) => Math.max(0, Math.min(maxNew, context - p.length)));
}

/** Decode steps run by decode graphs in this process so far, and how many of them were replays. */
const decodeTotals: DecodeGraphStats = { steps: 0, replayed: 0 };

/** A copy of the process's decode-graph counts (a stage reports the change over its steps). */
export function decodeGraphTotals(): DecodeGraphStats {
  return { ...decodeTotals };
}

export async function sample(model: Transformer, prompts: readonly number[][], o: SampleOptions): Promise<Samples> {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const budgets = rowBudgets(prompts, o.maxNew, model.config.max_position_embeddings);
  const maxNew = Math.max(...budgets);
  const tokens: number[][] = prompts.map(() => []);
  const logps: number[][] = prompts.map(() => []);
  // A row with no room at all is done (and truncated) before it starts.
  const done = budgets.map((n) => n === 0);
  const truncated = (): boolean[] => tokens.map((t, b) => budgets[b]! > 0 ? t.length >= budgets[b]! && t[t.length - 1] !== o.eos : o.maxNew > 0);
  if (maxNew === 0) return { tokens, logps, truncated: truncated(), budgets };

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

  const onDevice = (o.pickOn ?? (tf.getBackend() === 'webgpu' ? 'device' : 'host')) === 'device';
  const choose = async (logits: tf.Tensor2D): Promise<Array<Choice | null>> => {
    try {
      return onDevice ? await pickOnDevice(logits, done, o) : await pickOnHost(logits, done, o);
    } finally {
      logits.dispose();
    }
  };
  const fixed = (o.kvCache ?? (tf.getBackend() === 'webgpu' ? 'fixed' : 'grow')) === 'fixed';
  if (fixed && tf.getBackend() !== 'webgpu') throw new Error(`sample: kvCache 'fixed' is for the webgpu backend only (this is ${tf.getBackend()})`);
  // A fixed cache has a row for every position this call can feed back: the prompt and maxNew − 1 tokens.
  const capacity = fixed ? P + maxNew : undefined;
  let cache: KvCache | undefined;
  if (fixed) {
    const c = model.config;
    const shape: [number, number, number, number] = [B, c.num_key_value_heads, capacity!, model.headDim];
    cache = { k: [], v: [], length: 0 };
    for (let l = 0; l < c.num_hidden_layers; l++) cache.k.push(tf.fill(shape, 0)), cache.v.push(tf.fill(shape, 0));
  }
  let picks: Array<Choice | null>;
  // Prefill.
  {
    const prev = cache;
    let out;
    try {
      out = tf.tidy(() => {
        const r = model.forward({ ids: tf.tensor2d(ids, [B, P], 'int32'), positions: tf.tensor2d(pos, [B, P], 'int32'), mask: buildMask(valid, 0, P, capacity), lastOnly: true, ...(prev ? { cache: prev } : {}) });
        const lastLogits = r.logits.reshape([B, -1]) as tf.Tensor2D;
        return { lastLogits, k: r.cache.k, v: r.cache.v, length: r.cache.length };
      });
    } catch (e) {
      if (prev) for (const t of [...prev.k, ...prev.v]) t.dispose();
      throw e;
    }
    cache = { k: out.k, v: out.v, ...(fixed ? { length: out.length } : {}) };
    try {
      picks = await choose(out.lastLogits);
    } catch (e) {
      for (const t of [...cache.k, ...cache.v]) t.dispose();
      throw e;
    }
  }

  const V = model.config.vocab_size;
  const next = new Int32Array(B);
  const nextPos = new Int32Array(B);
  // On webgpu with the fixed cache and the choice made on the device, a decode step does the same
  // thing at every token: it runs as a step graph (recorded, then replayed: webgpu/graph.ts), its
  // changing values (tokens, positions, mask, the cache row, the uniform draws) as inputs.
  const graphed = fixed && onDevice && hasRowKernels() && useStepGraphs();
  const decode = graphed ? decodeGraph(model, cache!, B, capacity!, o) : undefined;
  try {
    for (let step = 0; step < maxNew; step++) {
      for (let b = 0; b < B; b++) {
        if (done[b]) {
          next[b] = o.pad;
          continue;
        }
        const { token, logp } = picks[b]!;
        tokens[b]!.push(token);
        logps[b]!.push(logp);
        next[b] = token;
        valid[b]![P + step] = 1;
        if (token === o.eos || tokens[b]!.length >= budgets[b]!) done[b] = true;
      }
      if (done.every(Boolean) || step === maxNew - 1) break;
      // A finished row's feed is masked out; position 0 keeps it inside the rotary tables.
      for (let b = 0; b < B; b++) nextPos[b] = done[b] ? 0 : prompts[b]!.length + step;
      if (decode) {
        picks = await decode.step(next, nextPos, maskValues(valid, P + step, 1, capacity!), P + step, done);
        continue;
      }
      const prev: KvCache = cache!;
      let out;
      try {
        out = tf.tidy(() => {
          const r = model.forward({
            ids: tf.tensor2d(next, [B, 1], 'int32'),
            positions: tf.tensor2d(nextPos, [B, 1], 'int32'),
            mask: buildMask(valid, P + step, 1, capacity),
            cache: prev,
          });
          return { lastLogits: r.logits.reshape([B, V]) as tf.Tensor2D, k: r.cache.k, v: r.cache.v, length: r.cache.length };
        });
      } catch (e) {
        for (const t of [...prev.k, ...prev.v]) t.dispose(); // the cache is ours to free
        throw e;
      }
      if (!fixed) for (const t of [...prev.k, ...prev.v]) t.dispose();
      cache = { k: out.k, v: out.v, ...(fixed ? { length: out.length } : {}) };
      try {
        picks = await choose(out.lastLogits);
      } catch (e) {
        for (const t of [...cache.k, ...cache.v]) t.dispose();
        throw e;
      }
    }
  } catch (e) {
    if (decode) for (const t of [...cache!.k, ...cache!.v]) t.dispose();
    throw e;
  } finally {
    decode?.dispose();
  }
  for (const t of [...cache!.k, ...cache!.v]) t.dispose();
  trimGpuBufferPool();
  return { tokens, logps, truncated: truncated(), budgets };
}

/**
 * One decode step of a fixed cache as a step graph: forward one token per row with the cache written
 * in place, then the choice as pickOnDevice makes it. Greedy or plain sampling: the on-device choice
 * (the inverse CDF at the row's uniform draw). Top-k / top-p: the top candidates and log Z come back
 * and the choice finishes in JavaScript (the logits stay an output, read only for a row whose
 * nucleus is not among the candidates).
 */
function decodeGraph(model: Transformer, cache: KvCache, B: number, S: number, o: SampleOptions) {
  const T = o.greedy ? 1 : o.temperature;
  const V = model.config.vocab_size;
  const onDevicePick = o.greedy || (o.topK <= 0 && o.topP >= 1);
  const k = candidatesOf(V, o);
  let length = 0; // cache rows filled before the step (checked by writeKvRows, not recorded)
  const graph = new StepGraph({
    inputs: {
      ids: { shape: [B, 1], dtype: 'int32' },
      pos: { shape: [B, 1], dtype: 'int32' },
      mask: { shape: [B, 1, 1, S], dtype: 'float32' },
      at: { shape: [], dtype: 'int32' },
      u: { shape: [B], dtype: 'float32' },
    },
    state: () => [...cache.k, ...cache.v],
    body: (x): Record<string, tf.Tensor> => {
      const r = model.forward({ ids: x.ids as tf.Tensor2D, positions: x.pos as tf.Tensor2D, mask: x.mask as tf.Tensor4D, cache: { k: cache.k, v: cache.v, length }, cacheAt: x.at! });
      const logits = r.logits.reshape([B, V]);
      if (onDevicePick) return { picked: tf.engine().runKernel(PICK, { x: logits, u: x.u! }, { temperature: T, greedy: o.greedy } as unknown as tf.NamedAttrMap) as tf.Tensor };
      return { ...topCandidates(logits, k, T), logits };
    },
  });
  const at = new Int32Array(1);
  const u = new Float32Array(B);
  return {
    async step(ids: Int32Array, pos: Int32Array, mask: Float32Array, cached: number, done: readonly boolean[]): Promise<Array<Choice | null>> {
      // One uniform per live row, drawn in row order as pickOnDevice and the host path draw them
      // (top-k / top-p draw theirs in chooseAmong, as pickOnDevice does).
      u.fill(0);
      if (onDevicePick && !o.greedy) for (let b = 0; b < B; b++) if (!done[b]) u[b] = o.rng.float();
      length = cached;
      at[0] = cached;
      const out = graph.run({ ids, pos, mask, at, u });
      if (onDevicePick) {
        const vals = (await out['picked']!.data()) as Float32Array;
        return done.map((d, b) => (d ? null : { token: vals[2 * b]!, logp: vals[2 * b + 1]! }));
      }
      const [vals, idx, lz] = (await Promise.all([out['values']!.data(), out['indices']!.data(), out['logZ']!.data()])) as [Float32Array, Int32Array, Float32Array];
      return chooseAmong(vals, idx, lz, k, V, done, o, async () => (await out['logits']!.data()) as Float32Array);
    },
    dispose: () => {
      const st = graph.status();
      decodeTotals.steps += st.eager + st.replayed;
      decodeTotals.replayed += st.replayed;
      graph.dispose();
    },
  };
}

type Choice = { token: number; logp: number };
type PickOptions = Pick<SampleOptions, 'greedy' | 'temperature' | 'topP' | 'topK' | 'rng'>;

/** Reads the logits back and picks each live row's token in JavaScript. */
async function pickOnHost(logits: tf.Tensor2D, done: readonly boolean[], o: PickOptions): Promise<Array<Choice | null>> {
  const V = logits.shape[1];
  const all = (await logits.data()) as Float32Array;
  return done.map((d, b) => (d ? null : pick(all.subarray(b * V, (b + 1) * V), o)));
}

/** Top candidates read back for top-k / top-p on the device; enough for nucleus sets in practice. */
const DEVICE_CANDIDATES = 256;

/**
 * Picks on the backend. Greedy: argmax. Plain sampling: inverse CDF over the vocabulary in id order
 * with one uniform per live row (the same draw `pick` makes). Top-k / top-p: the backend's top
 * candidates and log Z come back and `pickAmong` finishes in JavaScript; a row whose nucleus is
 * not inside them (top-p over a very flat distribution) falls back to reading that row whole.
 */
async function pickOnDevice(logits: tf.Tensor2D, done: readonly boolean[], o: PickOptions): Promise<Array<Choice | null>> {
  const [B, V] = logits.shape;
  const T = o.greedy ? 1 : o.temperature;
  if (o.greedy || (o.topK <= 0 && o.topP >= 1)) {
    // One uniform per live row, drawn in row order as the host path draws them.
    const u = new Float32Array(B);
    if (!o.greedy) for (let b = 0; b < B; b++) if (!done[b]) u[b] = o.rng.float();
    const packed = tf.tidy(() => {
      // One row kernel where the backend has it (webgpu): about 25 kernels fewer per token.
      if (hasRowKernels()) return tf.engine().runKernel(PICK, { x: logits, u: tf.tensor1d(u) }, { temperature: T, greedy: o.greedy } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const scaled = T === 1 ? logits : tf.div(logits, T);
      const logZ = tf.logSumExp(scaled, 1);
      let token: tf.Tensor1D;
      if (o.greedy) token = tf.argMax(scaled, 1) as tf.Tensor1D;
      else {
        const cdf = tf.cumsum(tf.exp(tf.sub(scaled, tf.expandDims(logZ, 1))), 1);
        const total = tf.slice(cdf, [0, V - 1], [B, 1]);
        const below = tf.cast(tf.less(cdf, tf.mul(tf.tensor2d(u, [B, 1]), total)), 'int32');
        token = tf.minimum(tf.sum(below, 1), tf.scalar(V - 1, 'int32')) as tf.Tensor1D;
      }
      // The chosen entry by a mask product: gather's batch form and oneHot's options differ by backend.
      const chosen = tf.sum(tf.mul(scaled, tf.cast(tf.equal(tf.range(0, V, 1, 'int32'), tf.expandDims(token, 1)), 'float32')), 1);
      // Ids travel as floats (exact below 2^24) so that one read-back carries both.
      return tf.stack([tf.cast(token, 'float32'), tf.sub(chosen, logZ)], 1);
    });
    const vals = (await packed.data()) as Float32Array;
    packed.dispose();
    return done.map((d, b) => (d ? null : { token: vals[2 * b]!, logp: vals[2 * b + 1]! }));
  }
  const k = candidatesOf(V, o);
  const [values, indices, logZ] = tf.tidy(() => {
    const c = topCandidates(logits, k, T);
    return [c.values, c.indices, c.logZ];
  });
  const [vals, ids, lz] = (await Promise.all([values.data(), indices.data(), logZ.data()])) as [Float32Array, Int32Array, Float32Array];
  tf.dispose([values, indices, logZ]);
  return chooseAmong(vals, ids, lz, k, V, done, o, async () => (await logits.data()) as Float32Array);
}

/** How many candidates top-k / top-p reads back per row. */
const candidatesOf = (V: number, o: PickOptions): number => Math.min(V, o.topK > 0 ? o.topK : DEVICE_CANDIDATES);

/** The top k of logits / T per row, sorted, and log Z of each whole row. */
function topCandidates(logits: tf.Tensor, k: number, T: number): { values: tf.Tensor; indices: tf.Tensor; logZ: tf.Tensor } {
  const scaled = T === 1 ? logits : tf.div(logits, T);
  const top = tf.topk(scaled, k, true);
  return { values: top.values, indices: top.indices, logZ: tf.logSumExp(scaled, 1) };
}

/**
 * Each live row's token among its candidates (pickAmong); a row whose nucleus is not inside them
 * is picked from its whole row of logits, read only then.
 */
async function chooseAmong(vals: Float32Array, ids: Int32Array, lz: Float32Array, k: number, V: number, done: readonly boolean[], o: PickOptions, wholeLogits: () => Promise<Float32Array>): Promise<Array<Choice | null>> {
  const out: Array<Choice | null> = [];
  let whole: Float32Array | undefined;
  for (let b = 0; b < done.length; b++) {
    if (done[b]) {
      out.push(null);
      continue;
    }
    const got = pickAmong(vals.subarray(b * k, (b + 1) * k), ids.subarray(b * k, (b + 1) * k), lz[b]!, k < V && o.topK <= 0, o);
    if (got) out.push(got);
    else {
      whole ??= await wholeLogits();
      out.push(pick(whole.subarray(b * V, (b + 1) * V), o));
    }
  }
  return out;
}

/**
 * `pick`'s top-k / top-p step on candidates already sorted by probability (ids ascending among
 * ties), given log Z of the whole row. Returns null when `partial` (the candidates are a truncation
 * of the vocabulary, not the top-k asked for) and their mass does not reach top-p: then the nucleus
 * may hold tokens that were not read back.
 */
function pickAmong(scaled: Float32Array, ids: Int32Array, logZ: number, partial: boolean, o: PickOptions): Choice | null {
  const n = scaled.length;
  const max = scaled[0]!;
  const z = Math.exp(logZ - max); // Σ exp(x - max) over the whole row
  const p = Array.from(scaled, (x) => Math.exp(x - max));
  let keep = n;
  if (o.topP < 1) {
    let mass = 0;
    keep = 0;
    while (keep < n) {
      mass += p[keep]! / z;
      keep++;
      if (mass >= o.topP) break;
    }
    if (mass < o.topP && partial) return null;
  }
  let total = 0;
  for (let i = 0; i < keep; i++) total += p[i]!;
  let u = o.rng.float() * total;
  let j = keep - 1;
  for (let i = 0; i < keep; i++) {
    u -= p[i]!;
    if (u < 0) {
      j = i;
      break;
    }
  }
  return { token: ids[j]!, logp: scaled[j]! - logZ };
}

/** Choose the next token from one row of logits; its log-probability is under softmax(logits / T). */
export function pick(logits: Float32Array, o: PickOptions): Choice {
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
