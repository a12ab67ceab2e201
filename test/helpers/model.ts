// A tiny transformer configuration for tests.
import type { ModelConfig } from '../../src/runtime/types.js';

export const tinyConfig = (over: Partial<ModelConfig> = {}): ModelConfig => ({
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 13,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
  torch_dtype: 'float32',
  ...over,
});
