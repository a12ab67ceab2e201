// Real model shapes on this machine: a randomly initialised Qwen2 model of the 0.5B or 1.5B shape
// (weights do not change speed), timed for KV-cache sampling — what `siric run` and `siric eval`
// spend most of their time on — and, with --train, for one GRPO update (forward, clipped
// surrogate, backward, AdamW) on a batch of sequences. For docs/real-models.md; run with
//   node dist/bench/shapes.js [--shape qwen2-0.5b|qwen2-1.5b] [--backend wasm|cpu|webgpu]
//        [--batch 1,8] [--prompt 64] [--new 32] [--train 4x128] [--layers N] [--vocab N]
import * as tf from '@tensorflow/tfjs';
import { assertDeviceHealthy, releaseBackend, selectBackend, type BackendRequest } from '../runtime/backend.js';
import { buildMask, parameterShapes, Transformer } from '../runtime/model/transformer.js';
import { AdamW } from '../runtime/optim/adamw.js';
import { policyLoss, tokenLogProbs } from '../runtime/rl/loss.js';
import { sample } from '../runtime/rl/sampler.js';
import { Rng } from '../runtime/rng.js';
import type { HostTensor, ModelConfig } from '../runtime/types.js';

/** The sizes of Qwen2-0.5B and of DeepSeek-R1-Distill-Qwen-1.5B (Qwen2-1.5B), from their config.json. */
export const SHAPES: Record<string, Omit<ModelConfig, 'architectures' | 'model_type' | 'bos_token_id' | 'eos_token_id' | 'pad_token_id' | 'torch_dtype' | 'attention_bias'>> = {
  'qwen2-0.5b': { vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 4096, rope_theta: 1_000_000, rms_norm_eps: 1e-6, tie_word_embeddings: true },
  'qwen2-1.5b': { vocab_size: 151936, hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, max_position_embeddings: 4096, rope_theta: 10_000, rms_norm_eps: 1e-6, tie_word_embeddings: false },
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/**
 * Random weights without drawing a billion normals in JavaScript: one block of 2^20 draws, tiled.
 * Speed does not depend on the values, only on them being ordinary floats.
 */
function tiledWeights(cfg: ModelConfig): Record<string, HostTensor> {
  const rng = new Rng(0);
  const block = Float32Array.from({ length: 1 << 20 }, () => rng.normal() * 0.02);
  const out: Record<string, HostTensor> = {};
  for (const [name, shape] of parameterShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('norm.weight')) data.fill(1);
    else for (let i = 0; i < n; i += block.length) data.set(block.subarray(0, Math.min(block.length, n - i)), i);
    out[name] = { shape: [...shape], data };
  }
  return out;
}

async function timeSampling(m: Transformer, B: number, prompt: number, newTokens: number, rng: Rng): Promise<Record<string, number>> {
  const prompts = Array.from({ length: B }, () => Array.from({ length: prompt }, () => rng.int(Math.min(50_000, m.config.vocab_size))));
  // Prefill alone (1 new token), then the full generation: the difference is the decode cost.
  const run = async (n: number): Promise<number> => {
    const t = performance.now();
    await sample(m, prompts, { maxNew: n, eos: -1, pad: 0, greedy: false, temperature: 1, topP: 1, topK: 0, rng });
    return (performance.now() - t) / 1000;
  };
  await run(2); // warm-up: kernels compile, buffers are allocated
  const prefill = await run(1);
  const total = await run(newTokens);
  const decodePerStep = (total - prefill) / (newTokens - 1);
  return { batch: B, prompt, new_tokens: newTokens, prefill_s: +prefill.toFixed(3), decode_step_s: +decodePerStep.toFixed(4), decode_tokens_per_s: +(B / decodePerStep).toFixed(2), total_s: +total.toFixed(2) };
}

/** One GRPO update on B sequences of T tokens: forward, clipped surrogate, backward, AdamW. */
async function timeUpdate(m: Transformer, B: number, T: number, rng: Rng, reps: number): Promise<Record<string, number>> {
  const V = m.config.vocab_size;
  const opt = new AdamW(m.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const ids = Int32Array.from({ length: B * T }, () => rng.int(Math.min(50_000, m.config.vocab_size)));
  const tgt = Int32Array.from({ length: B * T }, () => rng.int(Math.min(50_000, m.config.vocab_size)));
  const pos = Int32Array.from({ length: B * T }, (_, i) => i % T);
  const old = new Float32Array(B * T).fill(-Math.log(V));
  const adv = Float32Array.from({ length: B }, () => rng.normal());
  const step = async (): Promise<number> => {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = m.forward({ ids: tf.tensor2d(ids, [B, T], 'int32'), positions: tf.tensor2d(pos, [B, T], 'int32'), mask: buildMask([new Uint8Array(T).fill(1)], 0, T) });
      const { logp } = tokenLogProbs(logits, tf.tensor2d(tgt, [B, T], 'int32'));
      return policyLoss({ logpNew: logp, logpOld: tf.tensor2d(old, [B, T]), advantages: tf.tensor1d(adv), mask: tf.ones([B, T]) as tf.Tensor2D, clipLow: 0.2, clipHigh: 0.28, agg: 'token_mean' }).loss;
    }, [...m.params.values()]);
    const named = new Map<string, tf.Tensor>();
    for (const [k, v] of m.params) named.set(k, grads[v.name]!);
    opt.step(named, 1e-6);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
    return (performance.now() - t0) / 1000;
  };
  await step(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) ts.push(await step());
  opt.dispose();
  const s = ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]!;
  return { batch: B, tokens: T, update_s: +s.toFixed(3), update_tokens_per_s: +((B * T) / s).toFixed(1) };
}

async function main(): Promise<void> {
  const shape = arg('shape', 'qwen2-0.5b');
  const s = SHAPES[shape];
  if (!s) throw new Error(`unknown shape ${shape}; one of ${Object.keys(SHAPES).join(', ')}`);
  const backend = await selectBackend(arg('backend', 'wasm') as BackendRequest);
  const batches = arg('batch', '1,8').split(',').map(Number);
  const prompt = Number(arg('prompt', '64'));
  const newTokens = Number(arg('new', '32'));
  const train = arg('train', '');
  // --layers N: the same widths with fewer layers (a quick check of the script itself).
  const layers = Number(arg('layers', String(s.num_hidden_layers)));
  const vocab = Number(arg('vocab', String(s.vocab_size)));
  const cfg: ModelConfig = { ...s, num_hidden_layers: layers, vocab_size: vocab, architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', attention_bias: true, bos_token_id: 151643, eos_token_id: 151643, pad_token_id: 151643, torch_dtype: 'float32' };
  const t0 = performance.now();
  const m = new Transformer(cfg, tiledWeights(cfg));
  const params = [...m.params.values()].reduce((a, v) => a + v.size, 0);
  const initS = (performance.now() - t0) / 1000;
  const rng = new Rng(0);
  const row: Record<string, unknown> = { shape, layers, params, backend: `${backend.name} (${backend.device})`, init_s: +initS.toFixed(1), sampling: [], update: null };
  // Each result is printed as soon as it exists: a time limit that cuts the run keeps the rest.
  for (const B of batches) {
    (row['sampling'] as unknown[]).push(await timeSampling(m, B, prompt, newTokens, rng));
    assertDeviceHealthy();
    process.stderr.write(`${JSON.stringify(row)}\n`);
  }
  if (train) {
    const [B, T] = train.split('x').map(Number) as [number, number];
    row['update'] = await timeUpdate(m, B, T, rng, 2);
    assertDeviceHealthy();
  }
  row['tensors_after'] = tf.memory().numTensors;
  m.dispose();
  process.stdout.write(JSON.stringify(row, null, 2) + '\n');
  await releaseBackend();
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  },
);
