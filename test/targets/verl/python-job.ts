// Shared by the python-*.test.ts files: a verl job folder as `siric compile --target verl` lays it
// out (the contract in src/targets/verl/python/siri_verl.py), built from `siric compile FILE`'s
// graph, and plain `python3` (standard library only) run on it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { IR, IREval, IRTrain } from '../../../src/ir/graph.js';
import { ROOT, siric } from '../../helpers/binary.js';

export const PY_SRC = path.join(ROOT, 'src/targets/verl/python');
export const PY_HELPERS = path.join(ROOT, 'test/targets/verl/python');
export const STUBS = path.join(PY_HELPERS, 'stubs');

/** Why the Python tests are skipped on this machine, or null when `python3` runs. */
export const NO_PYTHON: string | null = (() => {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.version_info[0])'], { encoding: 'utf8' });
  if (r.error || r.status !== 0 || r.stdout.trim() !== '3') return `python3 is not available here (${r.error?.message ?? r.stderr.trim()}): the verl module's tests are skipped`;
  return null;
})();
if (NO_PYTHON) console.warn(NO_PYTHON);

export function compileIR(file: string): IR {
  const r = siric(['compile', file]);
  if (r.status !== 0) throw new Error(`siric compile ${file} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as IR;
}

/** The first GRPO stage: the one a verl job trains. */
export function grpoStage(ir: IR): IRTrain {
  const t = ir.nodes.filter((n): n is IRTrain => n.type === 'train' && n.algorithm === 'grpo').sort((a, b) => a.order - b.order)[0];
  if (!t) throw new Error('no GRPO stage');
  return t;
}

/** A job folder for `ir` in a fresh temporary directory; `edit` may change its files' contents first. */
export function makeJob(ir: IR, edit: { budget?: (b: Record<string, unknown>) => void } = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'siri-verl-job-'));
  const stage = grpoStage(ir);
  const evals = ir.nodes.filter((n): n is IREval => n.type === 'eval');
  const evalMax = evals.length ? Math.max(...evals.map((e) => e.max_tokens)) : null;
  const job = { version: 1, stage: stage.name, steps: stage.steps, eval_max_tokens: evalMax, agent_loops: { train: 'siri_budget', eval: 'siri_eval' } };
  const budget: Record<string, unknown> = { version: 1, stage: stage.name, by_step: [...stage.budget.by_step], phase_by_step: stage.budget.phase_by_step, phases: stage.budget.phases };
  edit.budget?.(budget);
  writeFileSync(path.join(dir, 'graph.json'), JSON.stringify(ir, null, 2) + '\n');
  writeFileSync(path.join(dir, 'siri_job.json'), JSON.stringify(job, null, 2) + '\n');
  writeFileSync(path.join(dir, 'siri_budget.json'), JSON.stringify(budget) + '\n');
  for (const f of ['siri_verl.py', 'siri_export.py']) if (existsSync(path.join(PY_SRC, f))) copyFileSync(path.join(PY_SRC, f), path.join(dir, f));
  return dir;
}

export interface PyResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `python3 ARGS` with `input` on stdin; PYTHONPATH gets `pythonPath` only (nothing of the user's). */
export function python(args: string[], o: { input?: string; cwd?: string; pythonPath?: string[]; env?: NodeJS.ProcessEnv } = {}): PyResult {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: (o.pythonPath ?? []).join(path.delimiter), ...o.env };
  delete env['SIRI_JOB_DIR'];
  if (o.env?.['SIRI_JOB_DIR']) env['SIRI_JOB_DIR'] = o.env['SIRI_JOB_DIR'];
  const r = spawnSync('python3', args, { cwd: o.cwd ?? ROOT, env, input: o.input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs test/targets/verl/python/drive.py on a list of requests, with siri_verl imported from `moduleDir`. */
export function drive<T = unknown>(moduleDir: string, requests: unknown[]): T[] {
  const r = python([path.join(PY_HELPERS, 'drive.py'), moduleDir], { input: JSON.stringify(requests) });
  if (r.status !== 0) throw new Error(`drive.py failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T[];
}

/** A scratch directory for a test's own files. */
export function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'siri-verl-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}
