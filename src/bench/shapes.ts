// Real model shapes on this machine: a randomly initialised Qwen2 model of the 0.5B or 1.5B shape
// (weights do not change speed), timed for KV-cache sampling — what `siric run` and `siric eval`
// spend most of their time on. For docs/real-models.md; run with
//   node dist/bench/shapes.js [--shape qwen2-0.5b|qwen2-1.5b] [--backend wasm|cpu|webgpu] [--batch 1,8]
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendRequest } from '../runtime/backend.js';
import { Transformer } from '../runtime/model/transformer.js';
import { sample } from '../runtime/rl/sampler.js';
import { Rng } from '../runtime/rng.js';
import type { ModelConfig } from '../runtime/types.js';

/** The sizes of Qwen2-0.5B and of DeepSeek-R1-Distill-Qwen-1.5B (Qwen2-1.5B), from their config.json. */
export const SHAPES: Record<string, Omit<ModelConfig, 'architectures' | 'model_type' | 'bos_token_id' | 'eos_token_id' | 'pad_token_id' | 'torch_dtype' | 'attention_bias'>> = {
  'qwen2-0.5b': { vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 4096, rope_theta: 1_000_000, rms_norm_eps: 1e-6, tie_word_embeddings: true },
  'qwen2-1.5b': { vocab_size: 151936, hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, max_position_embeddings: 4096, rope_theta: 10_000, rms_norm_eps: 1e-6, tie_word_embeddings: false },
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const shape = arg('shape', 'qwen2-0.5b');
  const s = SHAPES[shape];
  if (!s) throw new Error(`unknown shape ${shape}; one of ${Object.keys(SHAPES).join(', ')}`);
  const backend = await selectBackend(arg('backend', 'wasm') as BackendRequest);
  const batches = arg('batch', '1,8').split(',').map(Number);
  const prompt = Number(arg('prompt', '64'));
  const newTokens = Number(arg('new', '32'));
  const cfg: ModelConfig = { ...s, architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', attention_bias: true, bos_token_id: 151643, eos_token_id: 151643, pad_token_id: 151643, torch_dtype: 'float32' };
  let t0 = performance.now();
  const m = new Transformer(cfg, undefined, 0);
  const params = [...m.params.values()].reduce((a, v) => a + v.size, 0);
  const initS = (performance.now() - t0) / 1000;
  const rng = new Rng(0);
  const out: Record<string, unknown>[] = [];
  for (const B of batches) {
    const prompts = Array.from({ length: B }, () => Array.from({ length: prompt }, () => 1000 + rng.int(50_000)));
    // Prefill alone (1 new token), then the full generation: the difference is the decode cost.
    const run = (n: number): number => {
      const t = performance.now();
      sample(m, prompts, { maxNew: n, eos: -1, pad: 0, greedy: false, temperature: 1, topP: 1, topK: 0, rng });
      return (performance.now() - t) / 1000;
    };
    run(2); // warm-up: kernels compile, buffers are allocated
    const prefill = run(1);
    t0 = performance.now();
    const total = run(newTokens);
    const decodePerStep = (total - prefill) / (newTokens - 1);
    out.push({ batch: B, prompt, new_tokens: newTokens, prefill_s: +prefill.toFixed(3), decode_step_s: +decodePerStep.toFixed(3), decode_tokens_per_s: +(B / decodePerStep).toFixed(2), total_s: +total.toFixed(2) });
  }
  const row = { shape, params, backend: `${backend.name} (${backend.device})`, init_s: +initS.toFixed(1), runs: out, tensors_after: tf.memory().numTensors };
  m.dispose();
  process.stdout.write(JSON.stringify(row, null, 2) + '\n');
}

main().catch((e: Error) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exit(1);
});
