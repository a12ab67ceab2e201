// A decoder-only transformer in the Llama / Qwen2 layout: token embedding, RMSNorm, rotary
// position embedding, grouped-query attention, SwiGLU MLP, optional tied output embedding.
// Parameters are tf.Variables named exactly as Hugging Face names them, with Linear weights
// stored [out, in], so checkpoints load and save without renaming or transposing.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import type { HostTensor, ModelConfig } from '../types.js';
import { RunError } from '../types.js';
import { writeKvRows } from '../webgpu/kernels/kv.js';
import { attentionForward, decoderLayerFused, type LayerParams, rmsNormForward, rmsNormFused, ropeRows, swigluForward, useFusedBlocks } from './fused.js';
import { matMulT, plainMatMul } from './ops.js';

/**
 * Keys and values of every layer for the positions seen so far: [B, Hkv, S, hd] each. Without
 * `length` the cache holds exactly those S positions and a forward pass returns a longer copy.
 * With `length` (webgpu only: webgpu/kernels/kv.ts) the tensors have a fixed capacity S, the
 * first `length` rows are filled, and a forward pass writes its T new rows into them in place and
 * returns the same tensors with length + T; the mask must then cover all S rows.
 */
export interface KvCache {
  k: tf.Tensor4D[];
  v: tf.Tensor4D[];
  length?: number;
}

export interface ForwardInput {
  /** Token ids, [B, T]. */
  ids: tf.Tensor2D;
  /** Rotary position of each token, [B, T] int32 (a left-padded prompt starts at 0 after its pads). */
  positions: tf.Tensor2D;
  /** Additive attention mask [B, 1, T, S] or, when every row has the same, [1, 1, T, S] (0 where allowed, a large negative where not), S = cached + T (a fixed-capacity cache: its capacity). */
  mask: tf.Tensor4D;
  cache?: KvCache;
  /**
   * A fixed-capacity cache: where this call's rows go (cache.length), as an int32 scalar tensor.
   * Made from cache.length when not given; a step graph (webgpu/graph.ts) passes it as an input.
   */
  cacheAt?: tf.Tensor;
  /** Only the last position's logits ([B, 1, V]): a prefill needs no more, and [B, T, V] can be gigabytes. */
  lastOnly?: boolean;
}

export class Transformer {
  readonly params = new Map<string, tf.Variable>();
  private readonly cos: tf.Tensor2D;
  private readonly sin: tf.Tensor2D;
  readonly headDim: number;

  constructor(
    readonly config: ModelConfig,
    weights?: Record<string, HostTensor>,
    seed = 0,
  ) {
    const c = config;
    if (c.hidden_size % c.num_attention_heads !== 0) throw new RunError(`hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`);
    if (c.num_attention_heads % c.num_key_value_heads !== 0) throw new RunError(`num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${c.num_key_value_heads}`);
    this.headDim = c.hidden_size / c.num_attention_heads;
    const shapes = parameterShapes(c);
    const rng = new Rng(seed, 'init');
    // Residual-output projections get a smaller init (GPT-2 style) so deep stacks start stable.
    const outStd = 0.02 / Math.sqrt(2 * c.num_hidden_layers);
    for (const [name, shape] of shapes) {
      let data: Float32Array;
      if (weights) {
        const w = weights[name];
        if (!w) throw new RunError(`the checkpoint has no tensor \`${name}\``, 'is it a Llama/Qwen2-layout model of the sizes in config.json?');
        if (w.shape.join('x') !== shape.join('x')) throw new RunError(`tensor \`${name}\` has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`);
        data = w.data;
      } else if (name.endsWith('norm.weight')) data = new Float32Array(shape[0]!).fill(1);
      else if (name.endsWith('.bias')) data = new Float32Array(shape[0]!);
      else {
        const std = /o_proj|down_proj/.test(name) ? outStd : 0.02;
        data = new Float32Array(shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
      }
      const init = tf.tensor(data, shape, 'float32');
      this.params.set(name, tf.variable(init, true));
      init.dispose();
    }
    const [cos, sin] = ropeTables(c.max_position_embeddings, this.headDim, c.rope_theta);
    this.cos = cos;
    this.sin = sin;
  }

  private p(name: string): tf.Variable {
    return this.params.get(name)!;
  }

  /**
   * Logits [B, T, V] and the cache extended by these T positions. Call inside tf.tidy. Under a
   * gradient tape with the fused blocks (webgpu) no cache is returned (empty), and none may be given.
   */
  forward(input: ForwardInput): { logits: tf.Tensor3D; cache: KvCache } {
    const c = this.config;
    const [B, T] = input.ids.shape;
    const D = c.hidden_size;
    const H = c.num_attention_heads;
    const Hkv = c.num_key_value_heads;
    const hd = this.headDim;
    // Activations stay [B·T, D] between blocks: each linear layer is then one product, without the
    // two reshapes (and their gradients) a [B, T, D] layout costs around it.
    let x = tf.gather(this.p('model.embed_tokens.weight'), input.ids.reshape([B * T])) as tf.Tensor2D; // [B·T, D]
    // Rotary tables for these positions: [B, 1, T, hd]
    const cos = tf.gather(this.cos, input.positions).expandDims(1) as tf.Tensor4D;
    const sin = tf.gather(this.sin, input.positions).expandDims(1) as tf.Tensor4D;
    const inPlace = input.cache?.length !== undefined;
    const cache: KvCache = inPlace ? { k: input.cache!.k, v: input.cache!.v, length: input.cache!.length! + T } : { k: [], v: [] };
    const at = inPlace ? (input.cacheAt ?? tf.scalar(input.cache!.length!, 'int32')) : undefined; // where the new rows go
    // On webgpu the fused blocks (fused.ts): in training (a gradient tape is recording) each layer is
    // one op with a written-out backward pass, and no cache is returned; otherwise RMSNorm, rotary
    // embedding, attention and SwiGLU with fewer kernels.
    const fused = useFusedBlocks();
    const wholeLayers = fused && tf.engine().isTapeOn();
    if (wholeLayers && input.cache) throw new Error('Transformer.forward: the fused blocks take no KV cache under a gradient tape');
    const norm = fused ? (t: tf.Tensor2D, w: tf.Tensor, eps: number) => (wholeLayers ? rmsNormFused : rmsNormForward)(t, w, eps) as tf.Tensor2D : rmsNorm;
    const attend = fused ? attentionForward : attention;
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const pre = `model.layers.${l}`;
      if (wholeLayers) {
        x = decoderLayerFused(x, this.layerParams(pre), { B, T, H, Hkv, hd, eps: c.rms_norm_eps }, cos, sin, input.mask);
        continue;
      }
      const h = norm(x, this.p(`${pre}.input_layernorm.weight`), c.rms_norm_eps);
      // Queries and keys rotated, as heads: [B, H, T, hd] and [B, Hkv, T, hd].
      const [qr, kr] = fused
        ? [ropeRows(this.linear(h, `${pre}.self_attn.q_proj`), H, cos, sin), ropeRows(this.linear(h, `${pre}.self_attn.k_proj`), Hkv, cos, sin)]
        : [rope(this.heads(this.linear(h, `${pre}.self_attn.q_proj`), B, T, H, hd), cos, sin), rope(this.heads(this.linear(h, `${pre}.self_attn.k_proj`), B, T, Hkv, hd), cos, sin)];
      let k = kr;
      let v = this.heads(this.linear(h, `${pre}.self_attn.v_proj`), B, T, Hkv, hd);
      if (inPlace) {
        writeKvRows(cache.k[l]!, k, input.cache!.length!, at!);
        writeKvRows(cache.v[l]!, v, input.cache!.length!, at!);
        [k, v] = [cache.k[l]!, cache.v[l]!];
      } else {
        if (input.cache) {
          k = tf.concat([input.cache.k[l]!, k], 2); // [B, Hkv, S, hd]
          v = tf.concat([input.cache.v[l]!, v], 2);
        }
        cache.k.push(k);
        cache.v.push(v);
      }
      const att = attend(qr, k, v, input.mask, H / Hkv); // [B·T, H*hd]
      x = tf.add(x, this.linear(att, `${pre}.self_attn.o_proj`));
      const h2 = norm(x, this.p(`${pre}.post_attention_layernorm.weight`), c.rms_norm_eps);
      const gate = this.linear(h2, `${pre}.mlp.gate_proj`);
      const up = this.linear(h2, `${pre}.mlp.up_proj`);
      const act = fused ? swigluForward(gate, up) : tf.mul(tf.mul(gate, tf.sigmoid(gate)), up);
      x = tf.add(x, this.linear(act as tf.Tensor2D, `${pre}.mlp.down_proj`));
    }
    const Tout = input.lastOnly ? 1 : T;
    if (input.lastOnly && T > 1) x = tf.slice(x.reshape([B, T, D]), [0, T - 1, 0], [B, 1, D]).reshape([B, D]);
    x = norm(x, this.p('model.norm.weight'), c.rms_norm_eps);
    const head = c.tie_word_embeddings ? this.p('model.embed_tokens.weight') : this.p('lm_head.weight');
    const logits = matMulT(x, head).reshape([B, Tout, c.vocab_size]) as tf.Tensor3D;
    return { logits, cache };
  }

  /** One layer's parameters for decoderLayerFused. */
  private layerParams(pre: string): LayerParams {
    const a = `${pre}.self_attn`;
    const bias = (n: string) => this.params.get(`${a}.${n}.bias`);
    return {
      ln1: this.p(`${pre}.input_layernorm.weight`),
      wq: this.p(`${a}.q_proj.weight`),
      wk: this.p(`${a}.k_proj.weight`),
      wv: this.p(`${a}.v_proj.weight`),
      ...(bias('q_proj') ? { bq: bias('q_proj')!, bk: bias('k_proj')!, bv: bias('v_proj')! } : {}),
      wo: this.p(`${a}.o_proj.weight`),
      ln2: this.p(`${pre}.post_attention_layernorm.weight`),
      wg: this.p(`${pre}.mlp.gate_proj.weight`),
      wu: this.p(`${pre}.mlp.up_proj.weight`),
      wd: this.p(`${pre}.mlp.down_proj.weight`),
    };
  }

  /** x [N, in] @ W^T (+ b), with W stored [out, in] as in Hugging Face. */
  private linear(x: tf.Tensor2D, name: string): tf.Tensor2D {
    const w = this.p(`${name}.weight`);
    let y = matMulT(x, w);
    const b = this.params.get(`${name}.bias`);
    if (b) y = tf.add(y, b);
    return y as tf.Tensor2D;
  }

  /** [B·T, n*hd] → [B, n, T, hd] */
  private heads(x: tf.Tensor2D, B: number, T: number, n: number, hd: number): tf.Tensor4D {
    return x.reshape([B, T, n, hd]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  }

  /** Weights as host arrays under their Hugging Face names. */
  async exportWeights(): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = {};
    for (const [name, v] of this.params) out[name] = { shape: [...v.shape], data: (await v.data()) as Float32Array };
    return out;
  }

  loadWeights(weights: Record<string, HostTensor>): void {
    for (const [name, v] of this.params) {
      const w = weights[name];
      if (!w) throw new RunError(`the checkpoint has no tensor \`${name}\``);
      tf.tidy(() => v.assign(tf.tensor(w.data, w.shape, 'float32')));
    }
  }

  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.cos.dispose();
    this.sin.dispose();
  }
}

/** Every parameter's Hugging Face name and shape, in a fixed order. */
/** Number of parameters of a model of this configuration. */
export function parameterCount(c: ModelConfig): number {
  return parameterShapes(c).reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
}

export function parameterShapes(c: ModelConfig): [string, number[]][] {
  const D = c.hidden_size;
  const hd = D / c.num_attention_heads;
  const q = c.num_attention_heads * hd;
  const kv = c.num_key_value_heads * hd;
  const F = c.intermediate_size;
  const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocab_size, D]]];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    out.push([`${p}.input_layernorm.weight`, [D]]);
    out.push([`${p}.self_attn.q_proj.weight`, [q, D]], [`${p}.self_attn.k_proj.weight`, [kv, D]], [`${p}.self_attn.v_proj.weight`, [kv, D]]);
    if (c.attention_bias) out.push([`${p}.self_attn.q_proj.bias`, [q]], [`${p}.self_attn.k_proj.bias`, [kv]], [`${p}.self_attn.v_proj.bias`, [kv]]);
    out.push([`${p}.self_attn.o_proj.weight`, [D, q]]);
    out.push([`${p}.post_attention_layernorm.weight`, [D]]);
    out.push([`${p}.mlp.gate_proj.weight`, [F, D]], [`${p}.mlp.up_proj.weight`, [F, D]], [`${p}.mlp.down_proj.weight`, [D, F]]);
  }
  out.push(['model.norm.weight', [D]]);
  if (!c.tie_word_embeddings) out.push(['lm_head.weight', [c.vocab_size, D]]);
  return out;
}

function rmsNorm(x: tf.Tensor2D, w: tf.Tensor, eps: number): tf.Tensor2D {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), w) as tf.Tensor2D;
}

/**
 * Rotary tables in rotate-half form, [maxPos, hd] each: cos of position × inverse frequency for
 * both halves, and sin with the first half negated (Llama's rotate-half convention).
 */
function ropeTables(maxPos: number, hd: number, theta: number): [tf.Tensor2D, tf.Tensor2D] {
  const half = hd / 2;
  const cos = new Float32Array(maxPos * hd);
  const sin = new Float32Array(maxPos * hd);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const a = p / Math.pow(theta, (2 * i) / hd);
      cos[p * hd + i] = cos[p * hd + half + i] = Math.cos(a);
      sin[p * hd + half + i] = Math.sin(a);
      sin[p * hd + i] = -sin[p * hd + half + i]!;
    }
  }
  return [tf.tensor2d(cos, [maxPos, hd]), tf.tensor2d(sin, [maxPos, hd])];
}

/**
 * Rotate the two halves of each head: [x1·cos − x2·sin, x2·cos + x1·sin], computed as
 * x·[cos, cos] + [x2, x1]·[−sin, sin], which is the same arithmetic to the bit (a − b = a + (−b))
 * in 6 kernels instead of 9. x [B, n, T, hd], cos/sin [B, 1, T, hd].
 */
function rope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const [x1, x2] = tf.split(x, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([x2, x1], 3), sin)) as tf.Tensor4D;
}

/**
 * Scaled dot-product attention with grouped KV heads. q [B, H, T, hd], k/v [B, Hkv, S, hd] → [B·T, H*hd].
 * Query head h uses KV head floor(h / group) (Hugging Face's repeat_kv). Instead of copying K and V
 * `group` times, the query heads of a group are folded into the time axis: [B, Hkv, group*T, hd].
 */
function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D, group: number): tf.Tensor2D {
  const [B, H, T, hd] = q.shape;
  const Hkv = k.shape[1];
  const S = k.shape[2];
  const qg = q.reshape([B, Hkv, group * T, hd]);
  let scores = tf.mul(matMulT(qg, k), 1 / Math.sqrt(hd)); // [B, Hkv, group*T, S]
  scores = tf.add(scores.reshape([B, Hkv, group, T, S]), mask.reshape([mask.shape[0], 1, 1, T, S])).reshape([B, Hkv, group * T, S]);
  const out = plainMatMul(tf.softmax(scores, -1), v); // [B, Hkv, group*T, hd]
  return out.reshape([B, H, T, hd]).transpose([0, 2, 1, 3]).reshape([B * T, H * hd]) as tf.Tensor2D;
}

export const MASKED = -1e9;

/**
 * The additive mask for T new positions after `cached` ones: causal, and blind to padding.
 * keyValid[b][s] says whether key s of row b is a real token (pads are not). S keys are covered:
 * cached + T, or a fixed-capacity cache's capacity (the rows after cached + T are masked).
 */
export function buildMask(keyValid: readonly Uint8Array[], cached: number, T: number, S = cached + T): tf.Tensor4D {
  return tf.tensor4d(maskValues(keyValid, cached, T, S), [keyValid.length, 1, T, S]);
}

/** buildMask's values, row-major [B, 1, T, S]. */
export function maskValues(keyValid: readonly Uint8Array[], cached: number, T: number, S = cached + T): Float32Array {
  const B = keyValid.length;
  const m = new Float32Array(B * T * S);
  for (let b = 0; b < B; b++) {
    const valid = keyValid[b]!;
    for (let t = 0; t < T; t++) {
      const q = cached + t;
      for (let s = 0; s < S; s++) m[(b * T + t) * S + s] = s <= q && valid[s] ? 0 : MASKED;
    }
  }
  return m;
}
