// End to end on the cpu backend: a tiny pipeline trains through SFT and GRPO, the budget follows
// the schedule, runs are deterministic, and an interrupted run resumed from its checkpoint
// produces the same metrics as one that was not interrupted.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import type { IRTrain } from '../../../src/ir/graph.js';
import { execute } from '../../../src/runtime/executor/index.js';
import type { RunEvent } from '../../../src/runtime/types.js';
import { RunError } from '../../../src/runtime/types.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/runtime/', import.meta.url));
const PIPELINE = path.join(FIXTURES, 'tiny.siri');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-run-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

function compile(sets: string[] = []) {
  const r = compileFile(PIPELINE, { mode: 'compile', sets });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.ir!;
}

async function run(opts: { maxSteps?: number; resumeDir?: string; sets?: string[] } = {}) {
  const events: RunEvent[] = [];
  const r = await execute({ ir: compile(opts.sets), baseDir: FIXTURES, outDir: out, sink: (e) => events.push(e), ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}), ...(opts.resumeDir ? { resumeDir: opts.resumeDir } : {}) });
  return { ...r, events };
}

/** metrics.jsonl without the fields that measure time. */
function metrics(runDir: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { time_s: _t, tokens_per_s: _s, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
}

describe('siric run, end to end', () => {
  let first: Awaited<ReturnType<typeof run>>;

  it('trains SFT then GRPO, following the schedule, and leaves its artifacts', async () => {
    first = await run();
    expect(first.status).toBe('done');
    const ir = compile();
    const rl = ir.nodes.find((n) => n.id === 'train.rl') as IRTrain;
    const rows = metrics(first.runDir).filter((r) => r['type'] === 'train' && r['stage'] === 'rl');
    expect(rows.map((r) => r['max_tokens'])).toEqual(rl.budget.by_step);
    for (const r of rows) expect(r['response_len_max'] as number).toBeLessThanOrEqual(r['max_tokens'] as number);
    for (const k of ['stage', 'step', 'phase', 'max_tokens', 'reward_mean', 'reward_std', 'accuracy', 'response_len_mean', 'response_len_max', 'truncated_frac', 'loss', 'clip_frac', 'entropy', 'grad_norm', 'lr']) expect(rows[0]).toHaveProperty(k);
    // Evals at the phase ends and the stage ends, marked as such.
    expect(metrics(first.runDir).filter((r) => r['type'] === 'eval').map((r) => r['step'])).toEqual([3, 5, 7]);
    // Checkpoints named by phase and cycle, with weights, config and optimizer state.
    for (const name of ['warmup-end', 'compress-1-end', 'expand-1-end', 'rl-end', 'rl-step-1']) {
      const dir = path.join(first.runDir, 'checkpoints', name);
      for (const f of ['model.safetensors', 'config.json', 'tokenizer.json', 'optimizer.safetensors', 'state.json']) expect(fs.existsSync(path.join(dir, f)), `${name}/${f}`).toBe(true);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(first.runDir, 'manifest.json'), 'utf8'));
    expect(manifest.backend.name).toBe('cpu');
    expect(manifest.ir.source_hash).toBe(ir.source_hash);
    expect(fs.readFileSync(path.join(first.runDir, 'samples.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('counts a reward that throws, scores it 0, reports it, and goes on', () => {
    const warnings = first.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(warnings.some((w) => w.includes('flaky') && w.includes('failed on purpose'))).toBe(true);
    const errors = metrics(first.runDir).filter((r) => r['type'] === 'train' && r['stage'] === 'rl').reduce((n, r) => n + (r['reward_errors'] as number), 0);
    expect(errors).toBeGreaterThan(0);
  });

  it('leaks no tensors: no step reports a leak', () => {
    expect(first.events.filter((e) => e.type === 'warning' && e.message.includes('tensors allocated'))).toEqual([]);
  });

  it('gives the same metrics for the same pipeline, seed and backend', async () => {
    const second = await run();
    expect(metrics(second.runDir)).toEqual(metrics(first.runDir));
  });

  it('resumed after an interruption, produces the same metrics as an uninterrupted run', async () => {
    // Stop in the middle of the GRPO stage (3 SFT steps + 2 RL steps), then resume.
    const stopped = await run({ maxSteps: 5 });
    expect(stopped.status).toBe('stopped');
    const resumed = await run({ resumeDir: stopped.runDir });
    expect(resumed.status).toBe('done');
    expect(resumed.runDir).toBe(stopped.runDir);
    expect(metrics(resumed.runDir)).toEqual(metrics(first.runDir));
    // The end-of-run table covers the whole run, evals before the interruption included.
    expect(resumed.summary.map((r) => r.step)).toEqual(first.summary.map((r) => r.step));
  });

  it('refuses to resume a run with a pipeline that changed', async () => {
    await expect(run({ resumeDir: first.runDir, sets: ['rl.lr=2e-3'] })).rejects.toThrow(RunError);
  });
});
