// A Hugging Face folder of the Llama/Qwen2 layout (config.json + model.safetensors) that the test
// writes itself loads into the transformer and gives the same logits; a missing tensor is named.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { readHfConfig, writeHfConfig } from '../../../src/runtime/model/hf-config.js';
import { readShardedSafetensors, writeSafetensors } from '../../../src/runtime/model/safetensors.js';
import { buildMask, Transformer } from '../../../src/runtime/model/transformer.js';
import { tinyConfig } from '../../helpers/model.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const logits = (m: Transformer): number[] =>
  tf.tidy(() => Array.from(m.forward({ ids: tf.tensor2d([[1, 4, 5, 6]], [1, 4], 'int32'), positions: tf.tensor2d([[0, 1, 2, 3]], [1, 4], 'int32'), mask: buildMask([new Uint8Array(4).fill(1)], 0, 4) }).logits.dataSync()));

it('loads a Qwen2-layout folder written to disk and reproduces the logits', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-hf-'));
  const cfg = tinyConfig({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], attention_bias: true, tie_word_embeddings: false });
  const original = new Transformer(cfg, undefined, 4);
  writeSafetensors(path.join(dir, 'model.safetensors'), await original.exportWeights());
  writeHfConfig(dir, cfg);
  const loaded = new Transformer(readHfConfig(dir), readShardedSafetensors(dir).tensors);
  expect(logits(loaded)).toEqual(logits(original));
  original.dispose();
  loaded.dispose();
  fs.rmSync(dir, { recursive: true });
});

it('names a tensor the folder lacks', async () => {
  const cfg = tinyConfig();
  const m = new Transformer(cfg, undefined, 1);
  const weights = await m.exportWeights();
  delete weights['model.layers.1.mlp.up_proj.weight'];
  expect(() => new Transformer(cfg, weights)).toThrow(/model\.layers\.1\.mlp\.up_proj\.weight/);
  m.dispose();
});
