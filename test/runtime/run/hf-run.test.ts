// End to end with a Hugging Face model folder: a tiny Qwen2-layout model (config.json with
// attention biases, safetensors, the byte-level BPE tokenizer and Qwen2's chat template) trains an
// SFT step and a GRPO step from a .siri pipeline on JSONL math rows; its checkpoint folder opens
// again as a Hugging Face model + tokenizer that gives the trained model's logits and the same
// tokenizer files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import { execute } from '../../../src/runtime/executor/index.js';
import { readHfConfig } from '../../../src/runtime/model/hf-config.js';
import { readShardedSafetensors } from '../../../src/runtime/model/safetensors.js';
import { buildMask, Transformer } from '../../../src/runtime/model/transformer.js';
import { encodePrompt } from '../../../src/runtime/tokenizer/chat.js';
import { loadTokenizerFile } from '../../../src/runtime/tokenizer/index.js';
import type { RunEvent, Tokenizer } from '../../../src/runtime/types.js';
import { SPECIAL, writeTinyQwen2Folder } from '../../helpers/hf-tokenizer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-hf-run-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const PIPELINE = `import "std/presets"
import "std/rewards"

pipeline hf_tiny {
  seed = 11
  backend = cpu
  out = "runs"
}

model policy {
  source = hf("qwen2-tiny")
}

dataset math {
  source = jsonl("math.jsonl")
  prompt = "{problem} Put the answer in \\\\boxed\\{}."
  answer = "{answer}"
  response = "The answer is \\\\boxed\\{{answer}\\}."
  fields = ["problem", "answer"]
}

train warmup = presets.sft_warmup with {
  policy = policy
  data = math
  steps = 1 steps
  batch = 2 prompts
  max_tokens = 32 tokens
}

# Random weights never write \\boxed{}: a second reward that a random response sometimes earns
# gives the group advantages something to work with.
reward has_letter {
  kind = regex
  pattern = "[a-z]"
  truncated = score
  weight = 0.5
}

train rl = presets.dapo with {
  after = warmup
  policy = policy
  data = math
  rewards = [rewards.boxed_math, has_letter]
  max_tokens = 6 tokens
  steps = 1 steps
  group = 4 responses
  batch = 2 prompts
  dynamic_sampling = off
  lr = 1e-2
}
`;

/** Logits of a fixed prompt: the chat-templated ids of "1+1=". */
function logits(model: Transformer, tok: Tokenizer): number[] {
  const ids = encodePrompt(tok, '1+1=');
  const L = ids.length;
  return tf.tidy(() => Array.from(model.forward({ ids: tf.tensor2d([ids], [1, L], 'int32'), positions: tf.tensor2d([ids.map((_, i) => i)], [1, L], 'int32'), mask: buildMask([new Uint8Array(L).fill(1)], 0, L) }).logits.dataSync()));
}

it('trains a Qwen2-layout folder with its BPE tokenizer and chat template; the checkpoint reopens as the same model and tokenizer', async () => {
  const modelDir = path.join(dir, 'qwen2-tiny');
  await writeTinyQwen2Folder(modelDir);
  const rows = [
    { problem: 'What is 2+3?', answer: '5' },
    { problem: 'What is 7-4?', answer: '3' },
    { problem: '日本 has how many characters?', answer: '2' },
  ];
  fs.writeFileSync(path.join(dir, 'math.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const file = path.join(dir, 'hf-tiny.siri');
  fs.writeFileSync(file, PIPELINE);
  const compiled = compileFile(file, { mode: 'compile' });
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const model = compiled.ir!.nodes.find((n) => n.type === 'model');
  expect(model).toMatchObject({ chat_template: 'auto', tokenizer: { kind: 'hf', path: 'qwen2-tiny' } });

  const before = (() => {
    const m = new Transformer(readHfConfig(modelDir), readShardedSafetensors(modelDir).tensors);
    const l = logits(m, loadTokenizerFile(path.join(modelDir, 'tokenizer.json')));
    m.dispose();
    return l;
  })();

  const events: RunEvent[] = [];
  let live: { logits: number[]; promptIds: number[] } | undefined;
  const result = await execute({
    ir: compiled.ir!,
    baseDir: dir,
    sink: (e) => events.push(e),
    afterStep: ({ model: m, tokenizer }) => (live = { logits: logits(m, tokenizer), promptIds: encodePrompt(tokenizer, '1+1=') }),
  });
  expect(result.status).toBe('done');

  // The steps happened: an SFT step (prompt in the template, response + <|im_end|>), then a GRPO
  // step whose rewards were scored on responses within the budget.
  const metrics = fs.readFileSync(path.join(result.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(metrics).toHaveLength(2);
  expect(metrics[0]).toMatchObject({ type: 'train', stage: 'warmup', algorithm: 'sft', global_step: 1 });
  // "The answer is \boxed{5}.": 24 bytes, "he" merged (rank 1) → 23 tokens, + <|im_end|>.
  expect(metrics[0]!['response_len_max']).toBe(24);
  const rl = metrics[1]!;
  expect(rl).toMatchObject({ type: 'train', stage: 'rl', algorithm: 'grpo', step: 1, global_step: 2, max_tokens: 6 });
  expect(rl['response_len_max'] as number).toBeLessThanOrEqual(6);
  // Rewards differed within a group, so the update had a gradient (the seed makes this stable).
  expect(rl['reward_std'] as number).toBeGreaterThan(0);
  expect(rl['grad_norm'] as number).toBeGreaterThan(0);
  // The executor's tokenizer wrapped prompts in the chat template (it starts with <|im_start|>).
  expect(live!.promptIds[0]).toBe(SPECIAL.im_start);

  // The checkpoint is a Hugging Face folder: config.json, model.safetensors, the tokenizer files.
  const checkpoints = events.filter((e): e is Extract<RunEvent, { type: 'checkpoint' }> => e.type === 'checkpoint');
  expect(checkpoints.map((c) => c.name)).toEqual(['warmup-end', 'rl-end']);
  const ckpt = checkpoints[1]!.path;
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) expect(fs.readFileSync(path.join(ckpt, f), 'utf8'), f).toBe(fs.readFileSync(path.join(modelDir, f), 'utf8'));
  const cfg = readHfConfig(ckpt);
  expect(cfg).toMatchObject({ model_type: 'qwen2', attention_bias: true, vocab_size: 272 });
  const tok = loadTokenizerFile(path.join(ckpt, 'tokenizer.json'));
  expect(encodePrompt(tok, '1+1=')).toEqual(live!.promptIds);
  const reloaded = new Transformer(cfg, readShardedSafetensors(ckpt).tensors);
  const after = logits(reloaded, tok);
  reloaded.dispose();

  // Exactly the live model's logits after the step (float32 weights saved bit for bit), and not
  // the ones before it.
  expect(after).toEqual(live!.logits);
  expect(Math.max(...after.map((x, i) => Math.abs(x - before[i]!)))).toBeGreaterThan(1e-4);
}, 60_000);
