// config.json of the Hugging Face Llama and Qwen2 families: read (with transformers' defaults for
// missing keys), written (what transformers writes for these models), and made from the IR's
// `scratch(...)` sizes. Anything the runtime's transformer cannot run faithfully (rope scaling,
// sliding windows, other activations, a head_dim other than hidden/heads) is refused with the file
// and key named, rather than silently run as something else.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IRModel } from '../../ir/graph.js';
import type { ModelConfig } from '../types.js';
import { RunError } from '../types.js';

type ScratchSource = Extract<IRModel['source'], { kind: 'scratch' }>;

const ARCH: Record<ModelConfig['model_type'], string> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM' };
const TYPE_OF_ARCH: Record<string, ModelConfig['model_type']> = { LlamaForCausalLM: 'llama', Qwen2ForCausalLM: 'qwen2' };
const DTYPES: readonly ModelConfig['torch_dtype'][] = ['float32', 'bfloat16', 'float16'];

/** transformers' LlamaConfig / Qwen2Config defaults (v4.4x), for keys a config.json leaves out. */
const DEFAULTS = {
  llama: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, max_position_embeddings: 2048, bos_token_id: 1, eos_token_id: 2 },
  qwen2: { vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, max_position_embeddings: 32768, bos_token_id: null, eos_token_id: null },
} as const;

/** Writes `dir/config.json` (atomically) as transformers would for this model. */
export function writeHfConfig(dir: string, cfg: ModelConfig): void {
  const headDim = cfg.hidden_size / cfg.num_attention_heads;
  const json: Record<string, unknown> = {
    architectures: cfg.architectures.length ? cfg.architectures : [ARCH[cfg.model_type]],
    model_type: cfg.model_type,
    ...(cfg.model_type === 'llama' ? { attention_bias: cfg.attention_bias, mlp_bias: false, head_dim: headDim, pretraining_tp: 1 } : {}),
    attention_dropout: 0.0,
    bos_token_id: cfg.bos_token_id,
    eos_token_id: cfg.eos_token_id,
    pad_token_id: cfg.pad_token_id,
    hidden_act: 'silu',
    hidden_size: cfg.hidden_size,
    initializer_range: 0.02,
    intermediate_size: cfg.intermediate_size,
    max_position_embeddings: cfg.max_position_embeddings,
    num_attention_heads: cfg.num_attention_heads,
    num_hidden_layers: cfg.num_hidden_layers,
    num_key_value_heads: cfg.num_key_value_heads,
    rms_norm_eps: cfg.rms_norm_eps,
    rope_scaling: null,
    rope_theta: cfg.rope_theta,
    ...(cfg.model_type === 'qwen2' ? { use_sliding_window: false, sliding_window: null, max_window_layers: cfg.num_hidden_layers } : {}),
    tie_word_embeddings: cfg.tie_word_embeddings,
    torch_dtype: cfg.torch_dtype,
    use_cache: true,
    vocab_size: cfg.vocab_size,
  };
  const file = path.join(dir, 'config.json');
  const tmp = path.join(dir, `.config.json.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    fs.writeFileSync(tmp, JSON.stringify(json, null, 2) + '\n');
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // ignore
    }
    throw new RunError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Reads `dir/config.json` of a Llama or Qwen2 model, filling transformers' defaults. */
export function readHfConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read the model config: ${(e as Error).message}`, 'a Hugging Face model folder has a config.json next to its weights');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RunError(`${file}: the model config is not a JSON object`);
  const j = raw as Record<string, unknown>;
  const bad = (key: string, why: string): RunError => new RunError(`${file}: "${key}" ${why}`);

  // --- the family ---
  const supported = 'siric runs Llama (LlamaForCausalLM) and Qwen2 (Qwen2ForCausalLM) models';
  const archs = j['architectures'];
  if (archs !== undefined && archs !== null && !(Array.isArray(archs) && archs.every((a) => typeof a === 'string'))) throw bad('architectures', 'is not a list of strings');
  const archList = (archs ?? []) as string[];
  let modelType = j['model_type'];
  if (modelType === undefined || modelType === null) {
    modelType = archList.map((a) => TYPE_OF_ARCH[a]).find((t) => t !== undefined);
    if (modelType === undefined) throw new RunError(`${file}: no "model_type" (and no known architecture)`, supported);
  }
  if (modelType !== 'llama' && modelType !== 'qwen2') throw new RunError(`${file}: model_type "${String(modelType)}" is not supported`, supported);
  const type = modelType as ModelConfig['model_type'];
  for (const a of archList) {
    if (a !== ARCH[type]) throw new RunError(`${file}: architecture "${a}" is not supported for model_type "${type}"`, supported);
  }

  // --- numbers, with defaults ---
  const d = DEFAULTS[type];
  const int = (key: string, dflt: number | null, min = 1): number => {
    const v = j[key] ?? dflt;
    if (v === null) throw bad(key, 'is missing');
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw bad(key, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const num = (key: string, dflt: number): number => {
    const v = j[key] ?? dflt;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw bad(key, `must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = j[key] ?? dflt;
    if (typeof v !== 'boolean') throw bad(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  /** A token id: null allowed; a list (several EOS ids) gives its first. */
  const tokenId = (key: string, dflt: number | null): number | null => {
    let v = j[key] === undefined ? dflt : j[key];
    if (Array.isArray(v)) v = v[0] ?? null;
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(key, `must be a token id, got ${JSON.stringify(j[key])}`);
    return v;
  };

  const hidden = int('hidden_size', d.hidden_size);
  const heads = int('num_attention_heads', d.num_attention_heads);
  const kvHeads = int('num_key_value_heads', heads); // transformers: None → num_attention_heads
  if (hidden % heads !== 0) throw bad('hidden_size', `(${hidden}) is not a multiple of num_attention_heads (${heads})`);
  if (heads % kvHeads !== 0) throw bad('num_attention_heads', `(${heads}) is not a multiple of num_key_value_heads (${kvHeads})`);
  const headDim = j['head_dim'];
  if (headDim !== undefined && headDim !== null && headDim !== hidden / heads) throw bad('head_dim', `(${String(headDim)}) differs from hidden_size / num_attention_heads (${hidden / heads}), which siric's transformer does not support`);

  // --- features the runtime does not implement: refuse rather than run something else ---
  const act = j['hidden_act'] ?? 'silu';
  if (act !== 'silu') throw bad('hidden_act', `is "${String(act)}"; only "silu" is supported`);
  if (j['rope_scaling'] !== undefined && j['rope_scaling'] !== null) throw bad('rope_scaling', 'is set; RoPE scaling is not supported');
  if (type === 'llama' && j['mlp_bias'] === true) throw bad('mlp_bias', 'is true; MLP biases are not supported');
  if (type === 'qwen2' && j['use_sliding_window'] === true) throw bad('use_sliding_window', 'is true; sliding-window attention is not supported');

  const dtypeRaw = j['torch_dtype'] ?? j['dtype'] ?? 'float32';
  if (!DTYPES.includes(dtypeRaw as ModelConfig['torch_dtype'])) throw bad('torch_dtype', `is ${JSON.stringify(dtypeRaw)}; expected one of ${DTYPES.join(', ')}`);

  const vocab = int('vocab_size', d.vocab_size);
  const eos = tokenId('eos_token_id', d.eos_token_id);
  const bos = tokenId('bos_token_id', d.bos_token_id);
  const pad = tokenId('pad_token_id', null);
  if (eos === null) throw bad('eos_token_id', 'is missing; siric needs an end-of-sequence token');
  for (const [key, id] of [['eos_token_id', eos], ['bos_token_id', bos], ['pad_token_id', pad]] as const) {
    if (id !== null && id >= vocab) throw bad(key, `(${id}) is not below vocab_size (${vocab})`);
  }

  return {
    architectures: archList.length ? [...archList] : [ARCH[type]],
    model_type: type,
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: int('intermediate_size', d.intermediate_size),
    num_hidden_layers: int('num_hidden_layers', d.num_hidden_layers),
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    max_position_embeddings: int('max_position_embeddings', d.max_position_embeddings),
    rope_theta: num('rope_theta', 10000),
    rms_norm_eps: num('rms_norm_eps', 1e-6),
    tie_word_embeddings: bool('tie_word_embeddings', false),
    // Qwen2 always has q/k/v biases (its config has no key for them); Llama only when it says so.
    attention_bias: type === 'qwen2' ? true : bool('attention_bias', false),
    // Without these, siric uses EOS (the usual choice for models without a BOS or PAD token).
    bos_token_id: bos ?? eos,
    eos_token_id: eos,
    pad_token_id: pad ?? eos,
    torch_dtype: dtypeRaw as ModelConfig['torch_dtype'],
  };
}

/** The config of a model made from scratch by the IR's `scratch(...)` sizes (Llama layout). */
export function configFromScratch(source: ScratchSource, vocabSize: number, special: { bos: number; eos: number; pad: number }, dtype: ModelConfig['torch_dtype']): ModelConfig {
  const { d_model, heads, kv_heads } = source;
  if (d_model % heads !== 0) throw new RunError(`model: d_model (${d_model}) must be a multiple of heads (${heads})`, 'change d_model or heads in scratch(...)');
  if (heads % kv_heads !== 0) throw new RunError(`model: heads (${heads}) must be a multiple of kv_heads (${kv_heads})`, 'change heads or kv_heads in scratch(...)');
  if ((d_model / heads) % 2 !== 0) throw new RunError(`model: the head size d_model / heads = ${d_model / heads} must be even for rotary embeddings`, 'change d_model or heads in scratch(...)');
  for (const [k, id] of Object.entries(special)) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RunError(`model: the ${k} token id ${id} is not below the vocabulary size ${vocabSize}`);
  }
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: vocabSize,
    hidden_size: d_model,
    intermediate_size: source.ffn,
    num_hidden_layers: source.layers,
    num_attention_heads: heads,
    num_key_value_heads: kv_heads,
    max_position_embeddings: source.context,
    rope_theta: source.rope_theta,
    rms_norm_eps: source.norm_eps,
    tie_word_embeddings: source.tie_embeddings,
    attention_bias: false,
    bos_token_id: special.bos,
    eos_token_id: special.eos,
    pad_token_id: special.pad,
    torch_dtype: dtype,
  };
}
