// `siric compile FILE --target verl -o DIR` and `siric check FILE --target verl`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileFile, type CompileOutput } from '../compiler.js';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics/messages.js';
import type { IR } from '../ir/graph.js';
import { RunError } from '../runtime/types.js';
import { BUILTIN_LABEL, verlTarget, type VerlOptions } from '../targets/verl/check.js';
import { convertData } from '../targets/verl/data.js';
import { jobFiles, pythonModulePath, refuseDir, writeJob } from '../targets/verl/job.js';
import { DEFAULT_CLUSTER, type ClusterOptions, type JobPlan } from '../targets/verl/map.js';
import { builtinKeys, flattenVerlYaml, type KeySource } from '../targets/verl/validate.js';
import { EXIT, diagnosticsJson, printDiagnostics, type Outcome } from './common.js';

export interface VerlCmdOptions {
  nodes?: number;
  gpusPerNode?: number;
  rollout?: 'vllm' | 'sglang';
  tp?: number;
  gpuMemoryUtilization?: number;
  verlConfig?: string;
  set?: string[];
  json?: boolean;
}

/** The verl config to validate against: --verl-config, else the installed verl's, else ours. */
export function keySource(verlConfig: string | undefined): KeySource | string {
  const file = verlConfig ?? installedVerlYaml();
  if (!file) return builtinKeys(BUILTIN_LABEL);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return `error: cannot read the verl config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`;
  }
  try {
    return flattenVerlYaml(text, file);
  } catch (e) {
    return `error: ${(e as Error).message}\n`;
  }
}

/** verl's generated config when `python3` can find an installed verl (found, never imported). */
function installedVerlYaml(): string | undefined {
  if (process.env['SIRIC_NO_VERL_DETECT']) return undefined;
  const r = spawnSync('python3', ['-c', "import importlib.util as u; s = u.find_spec('verl'); print(s.origin if s and s.origin else '')"], { encoding: 'utf8', timeout: 10_000 });
  const origin = r.status === 0 ? r.stdout.trim() : '';
  if (!origin) return undefined;
  const yaml = path.join(path.dirname(origin), 'trainer', 'config', '_generated_ppo_trainer.yaml');
  return fs.existsSync(yaml) ? yaml : undefined;
}

/** --tp by the model's size when its config.json is readable: ≤ 8B parameters fit one GPU's rollout. */
export function defaultTp(ir: IR, baseDir: string): number {
  const model = ir.nodes.find((n) => n.type === 'model');
  if (model?.type !== 'model' || model.source.kind !== 'hf') return DEFAULT_CLUSTER.tp;
  try {
    const c = JSON.parse(fs.readFileSync(path.resolve(baseDir, model.source.path, 'config.json'), 'utf8')) as Record<string, number>;
    const h = c['hidden_size'] ?? 0;
    const params = 12 * (c['num_hidden_layers'] ?? 0) * h * h + 2 * (c['vocab_size'] ?? 0) * h;
    return params <= 8e9 ? 1 : params <= 16e9 ? 2 : params <= 40e9 ? 4 : 8;
  } catch {
    return DEFAULT_CLUSTER.tp;
  }
}

function cluster(o: VerlCmdOptions, ir: IR | undefined, baseDir: string): ClusterOptions {
  return {
    nodes: o.nodes ?? DEFAULT_CLUSTER.nodes,
    gpusPerNode: o.gpusPerNode ?? DEFAULT_CLUSTER.gpusPerNode,
    rollout: o.rollout ?? DEFAULT_CLUSTER.rollout,
    tp: o.tp ?? (ir ? defaultTp(ir, baseDir) : DEFAULT_CLUSTER.tp),
    gpuMemoryUtilization: o.gpuMemoryUtilization ?? DEFAULT_CLUSTER.gpuMemoryUtilization,
  };
}

function report(out: CompileOutput, ds: Diagnostic[], json: boolean | undefined, extra = ''): Outcome {
  const code = hasErrors(ds) ? EXIT.errors : EXIT.ok;
  if (json) return { code, stdout: diagnosticsJson(ds, out.texts) };
  return { code, stderr: printDiagnostics(ds, out.texts) + extra };
}

/** Diagnostics only: what would not map, nothing written. */
export function verlCheckCommand(files: string[], o: VerlCmdOptions): Outcome {
  const keys = keySource(o.verlConfig);
  if (typeof keys === 'string') return { code: EXIT.usage, stderr: keys };
  const all: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const lines: string[] = [];
  for (const file of files) {
    const out = compileFile(file, { mode: 'compile', sets: o.set ?? [], readFiles: true });
    const baseDir = path.dirname(path.resolve(file));
    const t = out.ir ? verlTarget(out, { cluster: cluster(o, out.ir, baseDir), keys }) : { diagnostics: [] };
    const ds = [...out.diagnostics, ...t.diagnostics];
    for (const d of ds) all.push(d);
    for (const [k, v] of out.texts) texts.set(k, v);
    if (!hasErrors(ds)) lines.push(`${file}: ok for verl${ds.length ? ` (${ds.length} warning${ds.length === 1 ? '' : 's'})` : ''}`);
  }
  const ds = sortDiagnostics(all);
  const code = hasErrors(ds) ? EXIT.errors : EXIT.ok;
  if (o.json) return { code, stdout: diagnosticsJson(ds, texts) };
  return { code, stdout: lines.length ? lines.join('\n') + '\n' : '', stderr: printDiagnostics(ds, texts) };
}

export async function verlCompileCommand(file: string, dir: string | undefined, o: VerlCmdOptions): Promise<Outcome> {
  if (!dir) return { code: EXIT.usage, stderr: `error: --target verl writes a job folder: give it with -o, e.g. siric compile ${file} --target verl -o job\n` };
  const why = refuseDir(dir);
  if (why) return { code: EXIT.usage, stderr: `error: ${why}; choose another -o folder, or remove it first\n` };
  const keys = keySource(o.verlConfig);
  if (typeof keys === 'string') return { code: EXIT.usage, stderr: keys };
  const out = compileFile(file, { mode: 'compile', sets: o.set ?? [] });
  if (!out.ir) return report(out, out.diagnostics, o.json);
  const baseDir = path.dirname(path.resolve(file));
  const opts: VerlOptions = { cluster: cluster(o, out.ir, baseDir), keys };
  const first = verlTarget(out, opts);
  const ds0 = sortDiagnostics([...out.diagnostics, ...first.diagnostics]);
  if (hasErrors(ds0) || !first.plan) return report(out, ds0, o.json);
  const model = first.plan.model;
  if (model.source.kind === 'hf') opts.modelPath = path.resolve(baseDir, model.source.path);
  opts.tokenizerPath = model.tokenizer.kind === 'hf' ? path.resolve(baseDir, model.tokenizer.path) : null;
  let data;
  try {
    data = await convertData(out.ir, first.plan, baseDir);
  } catch (e) {
    if (!(e instanceof RunError)) throw e;
    const text = `error[${e.code}]: ${e.message}\n  hint: ${e.hint}\n`;
    return o.json ? { code: EXIT.errors, stdout: diagnosticsJson(ds0, out.texts), stderr: text } : { code: EXIT.errors, stderr: printDiagnostics(ds0, out.texts) + text };
  }
  opts.data = data.facts;
  const t = verlTarget(out, opts);
  const ds = sortDiagnostics([...out.diagnostics, ...t.diagnostics]);
  if (hasErrors(ds) || !t.lines || !t.plan) return report(out, ds, o.json);
  const modules = pythonModules(out.ir, t.plan, baseDir);
  if (typeof modules === 'string') return { code: EXIT.errors, stderr: printDiagnostics(ds, out.texts) + modules };
  const files = jobFiles({ ir: out.ir, plan: t.plan, lines: t.lines, graph: t.graph!, experiment: t.experiment!, data: data.files, checkedAgainst: keys.label, modelPath: opts.modelPath ?? '', pythonModules: modules });
  try {
    writeJob(dir, files);
  } catch (e) {
    return { code: EXIT.usage, stderr: printDiagnostics(ds, out.texts) + `error: cannot write ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n` };
  }
  const shown = dir.replace(/\/+$/, '');
  return report(out, ds, o.json, `wrote ${shown}/ (${files.size} files): launch with \`bash ${shown}/run.sh\`\n`);
}

/** The stage's custom rewards' Python files (read, never run), or the error to print. */
function pythonModules(ir: IR, plan: JobPlan, baseDir: string): Map<string, { file: string; body: Buffer }> | string {
  const out = new Map<string, { file: string; body: Buffer }>();
  for (const id of plan.stage.rewards) {
    const r = ir.nodes.find((n) => n.id === id);
    const shown = r?.type === 'reward' && r.kind === 'custom' ? r.params['python_module'] : undefined;
    if (r?.type !== 'reward' || typeof shown !== 'string') continue;
    const abs = path.resolve(baseDir, shown);
    try {
      out.set(r.name, { file: pythonModulePath(r.name), body: fs.readFileSync(abs) });
    } catch (e) {
      return `error[R0303]: cannot read the Python module ${shown} of the reward \`${r.name}\`: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n  hint: looked for ${abs} (paths are relative to the pipeline file's folder)\n`;
    }
  }
  return out;
}
