// The whole pipeline through the real binary on webgpu (SFT, on-device token choice, rewards, GRPO
// updates, checkpoints, evals), against the same run on cpu: the same numbers within float32
// rounding. Here webgpu is Dawn on Mesa's software GL (SIRIC_WEBGPU_ADAPTER=gles); where that is
// not installed, the test is skipped with the reason.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const BIN = path.join(ROOT, 'bin', 'siric.js');
const ENV = { ...process.env, SIRIC_WEBGPU_ADAPTER: process.env['SIRIC_WEBGPU_ADAPTER'] ?? 'gles', NO_COLOR: '1' };
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-webgpu-run-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

/** Whether webgpu starts, asked of a child process: Dawn stays out of this test's own process. */
function webgpuUnavailable(): string | null {
  const probe = "import('./dist/runtime/backend.js').then((m) => m.selectBackend('webgpu')).then(() => process.exit(0), (e) => { process.stderr.write(String(e.message)); process.exit(1); })";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? null : r.stderr.trim().split('\n').pop() || `exit ${r.status}`;
}

type Row = { type: string; stage?: string; metrics?: Record<string, number | null>; update_graphs?: { updates: number; replayed: number; reason?: string }; decode_graphs?: { steps: number; replayed: number } };
function run(backend: string, extra: string[] = []): Row[] {
  const r = spawnSync(process.execPath, [BIN, 'run', 'test/fixtures/runtime/tiny.siri', '--backend', backend, '--out', path.join(out, backend), '--json', ...extra], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);
}

describe('siric run on webgpu', () => {
  it('trains the tiny pipeline to the cpu backend\'s numbers, its GRPO updates replayed as step graphs', (ctx) => {
    const why = webgpuUnavailable();
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const gpu = run('webgpu');
    const cpu = run('cpu');
    const steps = (rows: Row[]) => rows.filter((r) => r.type === 'step').map((r) => r.metrics!);
    const [g, c] = [steps(gpu), steps(cpu)];
    expect(g.length).toBe(7);
    expect(g.length).toBe(c.length);
    g.forEach((m, i) => {
      for (const k of ['loss', 'grad_norm', 'response_len_mean', 'reward_mean']) {
        const [a, b] = [m[k], c[i]![k]];
        if (b === null || b === undefined) expect(a ?? null).toBeNull();
        else expect(Math.abs(a! - b), `${k} at step ${i}`).toBeLessThan(1e-4 + 1e-4 * Math.abs(b));
      }
    });
    const evals = (rows: Row[]) => rows.filter((r) => r.type === 'eval').map((r) => [r.metrics?.['accuracy'], r.metrics?.['response_len_mean']]);
    expect(evals(gpu)).toEqual(evals(cpu));
    expect(evals(gpu).length).toBeGreaterThan(0);
    expect(evals(gpu).every(([acc, len]) => typeof acc === 'number' && typeof len === 'number')).toBe(true);
    expect(gpu.find((r) => r.type === 'run_end')).toBeDefined();
    // The GRPO updates (2 per step, 4 steps) ran as step graphs once recorded; cpu has none.
    const graphs = gpu.find((r) => r.type === 'stage_end' && r.stage === 'rl')?.update_graphs;
    expect(graphs?.updates).toBe(8);
    expect(graphs?.replayed).toBeGreaterThan(0);
    expect(cpu.find((r) => r.type === 'stage_end' && r.stage === 'rl')?.update_graphs).toBeUndefined();
    // Decode steps replay too, while the update graphs (which bind the same weights) are alive.
    const decoded = gpu.find((r) => r.type === 'stage_end' && r.stage === 'rl')?.decode_graphs;
    expect(decoded?.steps).toBeGreaterThan(0);
    expect(decoded?.replayed).toBeGreaterThan(decoded!.steps / 2);
    expect(cpu.find((r) => r.type === 'stage_end' && r.stage === 'rl')?.decode_graphs).toBeUndefined();
  }, 240_000);

  it('replays SFT steps as step graphs with the cpu backend\'s losses and gradient norms', (ctx) => {
    const why = webgpuUnavailable();
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const extra = ['--set', 'warmup.steps=10'];
    const sft = (rows: Row[]) => rows.filter((r) => r.type === 'step' && (r.metrics as Record<string, unknown>)['algorithm'] === 'sft').map((r) => r.metrics!);
    const gpu = run('webgpu', extra);
    const [g, c] = [sft(gpu), sft(run('cpu', extra))];
    expect(g.length).toBe(10);
    const graphs = gpu.find((r) => r.type === 'stage_end' && r.stage === 'warmup')?.update_graphs;
    expect(graphs?.updates).toBe(10);
    expect(graphs?.replayed).toBeGreaterThan(0);
    g.forEach((m, i) => {
      for (const k of ['loss', 'grad_norm']) expect(Math.abs(m[k]! - c[i]![k]!), `${k} at step ${i}`).toBeLessThan(1e-4 + 1e-4 * Math.abs(c[i]![k]!));
    });
  }, 240_000);
});
