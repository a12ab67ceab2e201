// config.json for Llama/Qwen2: round trip, transformers' defaults, refusals, and the scratch mapping.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromScratch, readHfConfig, writeHfConfig } from '../../../src/runtime/model/hf-config.js';
import type { ModelConfig } from '../../../src/runtime/types.js';
import { RunError } from '../../../src/runtime/types.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-cfg-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let n = 0;
const newDir = (): string => {
  const d = path.join(tmpRoot, String(n++));
  fs.mkdirSync(d);
  return d;
};
const withConfig = (json: unknown): string => {
  const d = newDir();
  fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify(json));
  return d;
};
function errorOf(f: () => unknown): RunError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RunError);
    return e as RunError;
  }
  throw new Error('expected a RunError');
}

const llama: ModelConfig = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 40,
  hidden_size: 64,
  intermediate_size: 256,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 128,
  rope_theta: 500000,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: true,
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
  torch_dtype: 'float32',
};

describe('writeHfConfig / readHfConfig', () => {
  it('round-trips a llama config', () => {
    const d = newDir();
    writeHfConfig(d, llama);
    expect(readHfConfig(d)).toEqual(llama);
    const raw = JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(raw).toMatchObject({ model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_act: 'silu', head_dim: 16, rope_scaling: null, attention_bias: false });
    expect(fs.readdirSync(d)).toEqual(['config.json']);
  });

  it('round-trips a qwen2 config (always with q/k/v biases, no attention_bias key)', () => {
    const qwen: ModelConfig = { ...llama, architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', attention_bias: true, torch_dtype: 'bfloat16', tie_word_embeddings: false };
    const d = newDir();
    writeHfConfig(d, qwen);
    expect(readHfConfig(d)).toEqual(qwen);
    const raw = JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect('attention_bias' in raw).toBe(false);
    expect(raw['use_sliding_window']).toBe(false);
  });

  it('fills transformers\' defaults for a minimal llama config', () => {
    const d = withConfig({ model_type: 'llama', vocab_size: 100, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4 });
    expect(readHfConfig(d)).toEqual({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      vocab_size: 100,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      num_key_value_heads: 4, // defaults to num_attention_heads
      max_position_embeddings: 2048,
      rope_theta: 10000,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: false,
      attention_bias: false,
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 2, // none given: EOS
      torch_dtype: 'float32',
    });
  });

  it('reads a Qwen2.5-style config (list of EOS ids, `dtype`, no model sizes missing)', () => {
    const d = withConfig({
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      attention_dropout: 0.0,
      bos_token_id: 151643,
      eos_token_id: [151645, 151643],
      hidden_act: 'silu',
      hidden_size: 896,
      intermediate_size: 4864,
      max_position_embeddings: 32768,
      max_window_layers: 21,
      num_attention_heads: 14,
      num_hidden_layers: 24,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_scaling: null,
      rope_theta: 1000000.0,
      sliding_window: 32768,
      tie_word_embeddings: true,
      dtype: 'bfloat16',
      use_cache: true,
      use_sliding_window: false,
      vocab_size: 151936,
    });
    expect(readHfConfig(d)).toMatchObject({ model_type: 'qwen2', attention_bias: true, eos_token_id: 151645, bos_token_id: 151643, pad_token_id: 151645, num_key_value_heads: 2, rope_theta: 1e6, tie_word_embeddings: true, torch_dtype: 'bfloat16' });
  });

  it('infers model_type from architectures when it is missing', () => {
    const d = withConfig({ architectures: ['Qwen2ForCausalLM'], vocab_size: 10, hidden_size: 8, num_attention_heads: 2, eos_token_id: 3 });
    expect(readHfConfig(d)).toMatchObject({ model_type: 'qwen2', max_position_embeddings: 32768, bos_token_id: 3 });
  });

  it('rejects other model types and architectures, naming the file and the type', () => {
    const d1 = withConfig({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] });
    const e1 = errorOf(() => readHfConfig(d1));
    expect(e1.message).toBe(`${path.join(d1, 'config.json')}: model_type "gpt2" is not supported`);
    expect(e1.hint).toMatch(/Llama .* Qwen2/);
    const d2 = withConfig({ model_type: 'llama', architectures: ['LlamaForSequenceClassification'] });
    expect(errorOf(() => readHfConfig(d2)).message).toBe(`${path.join(d2, 'config.json')}: architecture "LlamaForSequenceClassification" is not supported for model_type "llama"`);
  });

  it('refuses what the runtime cannot run faithfully', () => {
    const base = { model_type: 'llama', vocab_size: 10, hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: 1 };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ rope_scaling: { rope_type: 'llama3', factor: 8 } }, /"rope_scaling" is set/],
      [{ hidden_act: 'gelu' }, /"hidden_act" is "gelu"/],
      [{ head_dim: 8 }, /"head_dim" \(8\) differs/],
      [{ num_key_value_heads: 3 }, /not a multiple of num_key_value_heads/],
      [{ hidden_size: 9 }, /"hidden_size" \(9\) is not a multiple/],
      [{ vocab_size: 0 }, /"vocab_size" must be an integer ≥ 1/],
      [{ torch_dtype: 'float64' }, /"torch_dtype" is "float64"/],
      [{ eos_token_id: 10 }, /"eos_token_id" \(10\) is not below vocab_size/],
      [{ mlp_bias: true }, /"mlp_bias" is true/],
    ];
    for (const [over, re] of cases) expect(errorOf(() => readHfConfig(withConfig({ ...base, ...over }))).message).toMatch(re);
    const q = withConfig({ ...base, model_type: 'qwen2', eos_token_id: 1, use_sliding_window: true });
    expect(errorOf(() => readHfConfig(q)).message).toMatch(/"use_sliding_window" is true/);
  });

  it('a missing or broken config.json names the file', () => {
    const d = newDir();
    expect(errorOf(() => readHfConfig(d)).message).toBe(`${path.join(d, 'config.json')}: no such file`);
    fs.writeFileSync(path.join(d, 'config.json'), '{ "model_type": ');
    expect(errorOf(() => readHfConfig(d)).message).toMatch(/config\.json: cannot read the model config/);
  });
});

describe('configFromScratch', () => {
  const source = { kind: 'scratch' as const, layers: 3, d_model: 48, heads: 6, kv_heads: 2, ffn: 192, context: 256, tie_embeddings: true, rope_theta: 10000, norm_eps: 1e-5 };

  it('maps the IR sizes onto a Llama config', () => {
    expect(configFromScratch(source, 35, { bos: 1, eos: 2, pad: 0 }, 'float32')).toEqual({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      vocab_size: 35,
      hidden_size: 48,
      intermediate_size: 192,
      num_hidden_layers: 3,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      max_position_embeddings: 256,
      rope_theta: 10000,
      rms_norm_eps: 1e-5,
      tie_word_embeddings: true,
      attention_bias: false,
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 0,
      torch_dtype: 'float32',
    });
  });

  it('survives a config.json round trip', () => {
    const cfg = configFromScratch(source, 35, { bos: 1, eos: 2, pad: 0 }, 'bfloat16');
    const d = newDir();
    writeHfConfig(d, cfg);
    expect(readHfConfig(d)).toEqual(cfg);
  });

  it('rejects sizes that do not divide', () => {
    expect(errorOf(() => configFromScratch({ ...source, heads: 5 }, 35, { bos: 1, eos: 2, pad: 0 }, 'float32')).message).toMatch(/d_model \(48\) must be a multiple of heads \(5\)/);
    expect(errorOf(() => configFromScratch({ ...source, kv_heads: 4 }, 35, { bos: 1, eos: 2, pad: 0 }, 'float32')).message).toMatch(/heads \(6\) must be a multiple of kv_heads \(4\)/);
    expect(errorOf(() => configFromScratch({ ...source, d_model: 18 }, 35, { bos: 1, eos: 2, pad: 0 }, 'float32')).message).toMatch(/head size d_model \/ heads = 3 must be even/);
  });
});
