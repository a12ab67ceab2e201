// `siric bench` end to end on the wasm backend and the smallest preset: the report has every
// measurement, no tensor leaks, and PyTorch is either measured in the same run or said to be absent.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

it('siric bench --json measures wasm on the tiny preset', { timeout: 180_000 }, () => {
  const r = spawnSync(process.execPath, ['bin/siric.js', 'bench', '--backend', 'wasm', '--preset', 'tiny', '--reps', '1', '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 170_000 });
  expect(r.status, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as { results: Record<string, number | string>[]; torch: Record<string, unknown>[] };
  const [wasm] = report.results;
  expect(wasm).toMatchObject({ backend: 'wasm', preset: 'tiny', leaked_tensors: 0 });
  for (const k of ['train_step_s', 'train_tokens_per_s', 'grpo_update_s', 'sample_tokens_per_s', 'matmul_gflops']) expect(Number(wasm![k])).toBeGreaterThan(0);
  const torch = report.torch[0]!;
  expect('train_step_s' in torch || typeof torch['unavailable'] === 'string').toBe(true);
});

it('siric bench rejects an unknown preset with a usage error', () => {
  const r = spawnSync(process.execPath, ['bin/siric.js', 'bench', '--preset', 'huge'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});
