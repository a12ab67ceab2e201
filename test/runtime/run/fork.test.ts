// `--from`: a run started from another run's checkpoint (a shared SFT warm-up) produces exactly
// the metrics it would have produced from scratch; anything different before the checkpoint is
// refused with the reasons, and no run directory is left behind.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import { execute } from '../../../src/runtime/executor/index.js';
import { RunError } from '../../../src/runtime/types.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/runtime/', import.meta.url));
const PIPELINE = path.join(FIXTURES, 'tiny.siri');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-fork-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

async function run(sets: string[], fromCheckpoint?: string) {
  const r = compileFile(PIPELINE, { mode: 'compile', sets });
  expect(r.ir).toBeDefined();
  return execute({ ir: r.ir!, baseDir: FIXTURES, outDir: out, sink: () => {}, ...(fromCheckpoint ? { fromCheckpoint } : {}) });
}

const rows = (dir: string, file: string): Record<string, unknown>[] =>
  fs
    .readFileSync(path.join(dir, file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { time_s: _t, tokens_per_s: _s, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });

describe('siric run --from', () => {
  // Variant B differs from A only after the warm-up: another RL learning rate.
  const B = ['rl.lr=3e-3'];
  let a: Awaited<ReturnType<typeof run>>;

  it('a variant started from the shared warm-up equals the same variant run from scratch', async () => {
    a = await run([]);
    const scratch = await run(B);
    const forked = await run(B, path.join(a.runDir, 'checkpoints', 'warmup-end'));
    expect(forked.status).toBe('done');
    expect(forked.runDir).not.toBe(a.runDir);
    expect(rows(forked.runDir, 'metrics.jsonl')).toEqual(rows(scratch.runDir, 'metrics.jsonl'));
    expect(rows(forked.runDir, 'samples.jsonl')).toEqual(rows(scratch.runDir, 'samples.jsonl'));
    expect(forked.summary).toEqual(scratch.summary);
    // The RL part really differs from A's (the copied rows are only the warm-up's).
    expect(rows(forked.runDir, 'metrics.jsonl')).not.toEqual(rows(a.runDir, 'metrics.jsonl'));
    const manifest = JSON.parse(fs.readFileSync(path.join(forked.runDir, 'manifest.json'), 'utf8')) as { started_from: string };
    expect(manifest.started_from).toBe(path.join(a.runDir, 'checkpoints', 'warmup-end'));
    // Its own checkpoints start after the fork; the warm-up's stays in the run it came from.
    expect(fs.existsSync(path.join(forked.runDir, 'checkpoints', 'rl-end', 'model.safetensors'))).toBe(true);
    expect(fs.existsSync(path.join(forked.runDir, 'checkpoints', 'warmup-end'))).toBe(false);
  });

  it('refuses when something before the checkpoint differs, naming it, and leaves no run directory', async () => {
    const ckpt = path.join(a.runDir, 'checkpoints', 'warmup-end');
    const before = fs.readdirSync(path.join(out, 'tiny')).length;
    await expect(run(['warmup.lr=5e-3'], ckpt)).rejects.toThrow(/stage `warmup` is configured differently/);
    await expect(run(['pipeline.seed=4'], ckpt)).rejects.toThrow(/the seed differs \(3 there, 4 here\)/);
    await expect(run(['heldout.max_tokens=20'], ckpt)).rejects.toThrow(/the evals up to step 3 differ/);
    // A checkpoint inside the RL stage: B's RL stage is not A's.
    await expect(run(B, path.join(a.runDir, 'checkpoints', 'compress-1-end'))).rejects.toThrow(/stage `rl` is configured differently/);
    await expect(run(B, path.join(a.runDir, 'checkpoints'))).rejects.toThrow(RunError);
    expect(fs.readdirSync(path.join(out, 'tiny'))).toHaveLength(before);
  });
});
