// The transformer against an independent implementation: Hugging Face's Llama/Qwen2 forward pass
// written out in PyTorch (torch_llama.py), reading the same folder. Catches what a save/load round
// trip cannot: a wrong RoPE convention, GQA head order, bias or norm placement, a transposed
// weight. Runs where python3 has torch and numpy (Debian: apt-get install python3-torch); skipped
// elsewhere, saying so.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHfConfig, writeHfConfig } from '../../../src/runtime/model/hf-config.js';
import { readShardedSafetensors, writeSafetensors, type WriteDtype } from '../../../src/runtime/model/safetensors.js';
import { buildMask, Transformer } from '../../../src/runtime/model/transformer.js';
import type { ModelConfig } from '../../../src/runtime/types.js';
import { tinyConfig } from '../../helpers/model.js';

const SCRIPT = fileURLToPath(new URL('./torch_llama.py', import.meta.url));

function findTorchPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}
const PY = findTorchPython();
if (!PY) console.warn('torch-parity: skipped (no python3 with torch and numpy; on Debian: apt-get install python3-torch)');

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-torch-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every tensor random (biases and norm weights too, so their placement matters). */
async function randomWeights(cfg: ModelConfig, seed: number): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
  const m = new Transformer(cfg, undefined, seed);
  const w = await m.exportWeights();
  m.dispose();
  let s = seed * 2654435761;
  const uniform = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  for (const [name, t] of Object.entries(w)) {
    for (let i = 0; i < t.data.length; i++) t.data[i] = name.endsWith('norm.weight') ? 1 + 0.4 * uniform() : name.endsWith('.bias') ? 0.4 * uniform() : 0.6 * uniform();
  }
  return w;
}

const CASES: { name: string; cfg: ModelConfig; dtype: WriteDtype }[] = [
  {
    name: 'Qwen2: q/k/v biases, untied head, GQA 4:2, rope_theta 1e6',
    cfg: tinyConfig({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], attention_bias: true, tie_word_embeddings: false, rope_theta: 1e6, vocab_size: 37, hidden_size: 32, intermediate_size: 48, num_attention_heads: 4, num_key_value_heads: 2 }),
    dtype: 'F32',
  },
  {
    name: 'Llama: tied embeddings, no biases, full multi-head, rms eps 1e-5',
    cfg: tinyConfig({ vocab_size: 29, hidden_size: 24, intermediate_size: 40, num_attention_heads: 3, num_key_value_heads: 3, rms_norm_eps: 1e-5, num_hidden_layers: 3 }),
    dtype: 'F32',
  },
  {
    name: 'Qwen2 stored as bfloat16 (converted on load, the same way by both)',
    cfg: tinyConfig({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], attention_bias: true, tie_word_embeddings: true, vocab_size: 31, hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 1, torch_dtype: 'bfloat16' }),
    dtype: 'BF16',
  },
];

describe.skipIf(!PY)('transformer vs a PyTorch reference of the Hugging Face forward pass', () => {
  for (const [k, c] of CASES.entries()) {
    it(c.name, async () => {
      const dir = path.join(tmp, `case-${k}`);
      fs.mkdirSync(dir);
      writeSafetensors(path.join(dir, 'model.safetensors'), await randomWeights(c.cfg, 11 + k), { dtype: c.dtype });
      writeHfConfig(dir, c.cfg);
      const ids = [
        [1, 5, 9, 3, 7, 2, 11, 4],
        [6, 6, 2, 8, 1, 10, 3, 12],
      ];
      const T = ids[0]!.length;
      const model = new Transformer(readHfConfig(dir), readShardedSafetensors(dir).tensors);
      const ours = tf.tidy(() =>
        model.forward({ ids: tf.tensor2d(ids, [2, T], 'int32'), positions: tf.tensor2d(ids.map(() => [...Array(T).keys()]), [2, T], 'int32'), mask: buildMask([new Uint8Array(T).fill(1)], 0, T) }).logits.arraySync(),
      ) as number[][][];
      model.dispose();
      const r = spawnSync(PY!, [SCRIPT, dir, JSON.stringify(ids)], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const ref = (JSON.parse(r.stdout) as { logits: number[][][] }).logits;
      let maxDiff = 0;
      let maxAbs = 0;
      ref.forEach((row, b) => row.forEach((v, t) => v.forEach((x, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(x - ours[b]![t]![i]!));
        maxAbs = Math.max(maxAbs, Math.abs(x));
      })));
      // Logits of a few units; float32 in both, summed in different orders.
      expect(maxAbs).toBeGreaterThan(0.5);
      expect(maxDiff).toBeLessThan(1e-4 * Math.max(1, maxAbs));
    });
  }
});
