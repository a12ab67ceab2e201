// Writes a verl job folder: everything is built in memory first, written to a temporary folder
// beside DIR, then renamed into place, so DIR is never half-written. A non-empty DIR that is not
// an earlier job of ours is never overwritten.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IR } from '../../ir/graph.js';
import { canonicalJson } from '../../ir/lower.js';
import { PACKAGE_ROOT } from '../../util/package-root.js';
import { VERL_PIN } from './keys.js';
import { localDir, type JobPlan } from './map.js';
import { EXPORT_SH, RUN_SH, jobReadme } from './readme.js';
import { EVAL_LOOP, TRAIN_LOOP } from './data.js';

/** The Python side of the job (siri_verl.py, siri_export.py), copied verbatim. */
export const PYTHON_DIR = path.join(PACKAGE_ROOT, 'src', 'targets', 'verl', 'python');

export interface JobContents {
  ir: IR;
  plan: JobPlan;
  lines: string[];
  graph: string;
  experiment: string;
  data: Map<string, string>;
  checkedAgainst: string;
  modelPath: string;
  /** Custom rewards' Python files (`python_module`), by reward name: job path and content. */
  pythonModules?: Map<string, { file: string; body: Buffer }>;
}

/** Where a custom reward's `python_module` goes in the job (siri_job.json maps the reward to it). */
export const pythonModulePath = (reward: string): string => `rewards/${reward}.py`;

/** Every file of the job, by path inside it. */
export function jobFiles(c: JobContents): Map<string, string | Buffer> {
  const { ir, plan } = c;
  const s = plan.stage;
  const evalCap = plan.evals[0]?.max_tokens ?? null;
  const files = new Map<string, string | Buffer>();
  files.set('graph.json', c.graph);
  files.set('overrides.txt', `# ${ir.pipeline.name} -> verl ${VERL_PIN.version} (${VERL_PIN.commit.slice(0, 8)}), compiled by ${ir.compiler}; one Hydra override per line\n${c.lines.join('\n')}\n`);
  files.set('run.sh', RUN_SH);
  files.set('export.sh', EXPORT_SH);
  const modules = [...(c.pythonModules ?? new Map<string, { file: string; body: Buffer }>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const job: Record<string, unknown> = { version: 1, stage: s.name, steps: s.steps, eval_max_tokens: evalCap, agent_loops: { train: TRAIN_LOOP, eval: EVAL_LOOP } };
  if (modules.length) job['python_modules'] = Object.fromEntries(modules.map(([name, m]) => [name, m.file]));
  files.set('siri_job.json', canonicalJson(job));
  for (const [, m] of modules) files.set(m.file, m.body);
  files.set('siri_budget.json', canonicalJson({ version: 1, stage: s.name, by_step: s.budget.by_step, phase_by_step: s.budget.phase_by_step, phases: s.budget.phases }));
  files.set('siri_agent_loops.yaml', `# Registered with actor_rollout_ref.rollout.agent.agent_loop_config_path; a row's agent_name picks its loop.\n- name: ${TRAIN_LOOP}\n  _target_: siri_verl.SiriBudgetAgentLoop\n- name: ${EVAL_LOOP}\n  _target_: siri_verl.SiriEvalAgentLoop\n  max_tokens: ${evalCap ?? s.budget.max}\n`);
  files.set('checkpoints.json', canonicalJson({ version: 1, checkpoints: s.checkpoints.filter((k) => k.step > 0).map((k) => ({ name: k.name, step: k.step, dir: `global_step_${k.step}/actor`, siri: k.siri })), local_dir: localDir(ir) }));
  files.set('README.md', jobReadme(ir, plan, { experiment: c.experiment, checkedAgainst: c.checkedAgainst, localDir: localDir(ir), modelPath: c.modelPath }));
  for (const [f, text] of c.data) files.set(f, text);
  for (const f of pythonAssets()) files.set(f, fs.readFileSync(path.join(PYTHON_DIR, f)));
  return files;
}

export function pythonAssets(): string[] {
  return fs.existsSync(PYTHON_DIR) ? fs.readdirSync(PYTHON_DIR).filter((f) => f.endsWith('.py')).sort() : [];
}

/** Why DIR cannot take the job, or undefined when it can (absent, empty, or one of our jobs). */
export function refuseDir(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  if (!fs.statSync(dir).isDirectory()) return `${dir} exists and is not a folder`;
  const entries = fs.readdirSync(dir);
  if (entries.length === 0 || entries.includes('siri_job.json')) return undefined;
  return `${dir} is not empty and is not a job written by siric (it has no siri_job.json)`;
}

export function writeJob(dir: string, files: Map<string, string | Buffer>): void {
  const abs = path.resolve(dir);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.tmp-${process.pid}`);
  const old = path.join(path.dirname(abs), `.${path.basename(abs)}.old-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    for (const [f, body] of files) {
      const p = path.join(tmp, f);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, body, f.endsWith('.sh') ? { mode: 0o755 } : {});
    }
    if (fs.existsSync(abs)) fs.renameSync(abs, old);
    fs.renameSync(tmp, abs);
    fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    if (!fs.existsSync(abs) && fs.existsSync(old)) fs.renameSync(old, abs);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
