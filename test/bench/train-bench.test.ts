// The benchmark's own steps free what they make: a leak here would be reported as the runtime's.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { buildMlpStep } from '../../src/bench/train-bench.js';
import { selectBackend } from '../../src/runtime/backend.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

it('the MLP step, run and disposed, leaves the tensor count where it was', async () => {
  const before = tf.memory().numTensors;
  const mlp = buildMlpStep({ vocab: 40, d_model: 8, tokens: 6, batch: 3 });
  expect(tf.memory().numTensors - before).toBeGreaterThan(0);
  for (let i = 0; i < 3; i++) await mlp.step();
  expect(mlp.status().eager).toBe(3);
  mlp.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
