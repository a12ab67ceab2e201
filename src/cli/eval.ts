// `siric eval CHECKPOINT --data NAME`: evaluate a saved checkpoint on a dataset. The dataset (and
// the rewards that check answers) come from the run the checkpoint belongs to, or from --pipeline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../compiler.js';
import type { IR } from '../ir/graph.js';
import { EXIT, printDiagnostics, type Outcome } from './common.js';
import { shellQuote, siricCommand } from '../util/siric-command.js';

export interface EvalOptions {
  data: string;
  pipeline?: string;
  set?: string[];
  split?: 'train' | 'eval' | 'all';
  samples?: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  limit?: number;
  backend?: string;
  json?: boolean;
  /** Also write every judged response to this JSONL file. */
  rows?: string;
}

const fail = (message: string, hint?: string): Outcome => ({ code: EXIT.errors, stderr: `error: ${message}\n${hint ? `  = help: ${hint}\n` : ''}` });

/** Where the dataset is declared: a pipeline file, or the manifest of the checkpoint's run. */
function source(checkpoint: string, o: EvalOptions, runDirOf: (c: string) => string | undefined): { ir: IR; baseDir: string; seed: number } | Outcome {
  if (o.pipeline) {
    const out = compileFile(o.pipeline, { mode: 'compile', sets: o.set ?? [] });
    if (!out.ir) return { code: EXIT.errors, stderr: printDiagnostics(out.diagnostics, out.texts) };
    return { ir: out.ir, baseDir: path.dirname(path.resolve(o.pipeline)), seed: out.ir.pipeline.seed };
  }
  if (o.set?.length) return fail('--set needs --pipeline (a run directory records its own settings)');
  const runDir = runDirOf(checkpoint);
  if (!runDir) return fail(`${checkpoint} is not inside a run directory, so the datasets are unknown`, 'name the pipeline that declares the dataset: --pipeline FILE.siri');
  let manifest: { ir?: IR; base_dir?: string; seed?: number };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch (e) {
    return fail(`${path.join(runDir, 'manifest.json')}: cannot read the run's manifest (${(e as Error).message})`, 'name the pipeline instead: --pipeline FILE.siri');
  }
  if (!manifest.ir || !Array.isArray(manifest.ir.nodes)) return fail(`${path.join(runDir, 'manifest.json')}: the manifest has no execution graph`, 'name the pipeline instead: --pipeline FILE.siri');
  // Runs written before manifests recorded base_dir: data paths were relative to the pipeline file.
  if (!manifest.base_dir) return fail(`${runDir}: the manifest does not say where the pipeline's files are`, 'name the pipeline instead: --pipeline FILE.siri');
  return { ir: manifest.ir, baseDir: manifest.base_dir, seed: manifest.seed ?? manifest.ir.pipeline.seed };
}

/** A run directory given where a checkpoint belongs: its checkpoints, and the command that evaluates one. */
function listCheckpoints(runDir: string, o: EvalOptions): Outcome {
  let siri = new Map<string, string>();
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8')) as { ir?: IR };
    siri = new Map((manifest.ir?.nodes ?? []).flatMap((n) => (n.type === 'train' ? n.checkpoints : [])).flatMap((c) => (c.siri ? [[c.name, `SIRI-${c.siri}`] as [string, string]] : [])));
  } catch {
    // Without a readable manifest the SIRI labels are unknown; the checkpoints are still listed.
  }
  const root = path.join(runDir, 'checkpoints');
  const found = (fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }) : [])
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => {
      let step: number | undefined;
      try {
        step = (JSON.parse(fs.readFileSync(path.join(root, e.name, 'state.json'), 'utf8')) as { global_step?: number }).global_step;
      } catch {
        step = undefined;
      }
      return { name: e.name, step, siri: siri.get(e.name) ?? '' };
    })
    .sort((a, b) => (a.step ?? Infinity) - (b.step ?? Infinity) || a.name.localeCompare(b.name));
  if (found.length === 0) return fail(`${runDir} is a run directory, not a checkpoint, and it has no checkpoints yet`, 'checkpoints are folders like runs/<pipeline>/<id>/checkpoints/<name>');
  const width = Math.max(10, ...found.map((c) => c.name.length)) + 2;
  const rows = found.map((c) => `  ${c.name.padEnd(width)}${String(c.step ?? '?').padStart(11)}  ${c.siri}`.trimEnd());
  const pick = found[found.length - 1]!;
  const extra = [o.pipeline ? ` --pipeline ${shellQuote(o.pipeline)}` : '', ...(o.set ?? []).map((x) => ` --set ${shellQuote(x)}`)].join('');
  return {
    code: EXIT.usage,
    stderr:
      `error: ${runDir} is a run directory, not a checkpoint; its checkpoints:\n` +
      `  ${'name'.padEnd(width)}${'global step'.padStart(11)}  SIRI\n${rows.join('\n')}\n` +
      `  = help: evaluate one, e.g. ${siricCommand()} eval ${shellQuote(path.join(runDir, 'checkpoints', pick.name))} --data ${shellQuote(o.data)}${extra}\n`,
  };
}

export async function evalCommand(checkpoint: string, o: EvalOptions): Promise<Outcome> {
  const [{ evaluateCheckpoint, runDirOf }, { RunError, formatRunError }, { releaseBackend }, { judgeWarning }] = await Promise.all([import('../runtime/evaluate.js'), import('../runtime/types.js'), import('../runtime/backend.js'), import('../runtime/eval.js')]);
  if (!fs.existsSync(checkpoint)) return fail(`checkpoint not found: ${checkpoint}`, 'checkpoints are folders like runs/<pipeline>/<id>/checkpoints/<name>');
  if (fs.existsSync(path.join(checkpoint, 'manifest.json'))) return listCheckpoints(checkpoint, o);
  const src = source(checkpoint, o, runDirOf);
  if ('code' in src) return src;
  const rows: string[] = [];
  try {
    const r = await evaluateCheckpoint({
      checkpoint,
      ...src,
      dataset: o.data,
      split: o.split ?? 'eval',
      samples: o.samples ?? 1,
      temperature: o.temperature ?? 0.6,
      topP: o.topP ?? 0.95,
      ...(o.maxTokens ? { maxTokens: o.maxTokens } : {}),
      ...(o.limit ? { limit: o.limit } : {}),
      backend: (o.backend ?? 'auto') as 'auto',
      ...(o.rows ? { onRow: (row: object) => rows.push(JSON.stringify(row)) } : {}),
    });
    // Written whole through a temporary file: a file that exists holds every row of the eval.
    if (o.rows) {
      const tmp = `${o.rows}.tmp-${process.pid}`;
      fs.mkdirSync(path.dirname(path.resolve(o.rows)), { recursive: true });
      fs.writeFileSync(tmp, rows.map((l) => l + '\n').join(''));
      fs.renameSync(tmp, o.rows);
    }
    const warnings = [r.greedy, r.sampled].map((m) => m && judgeWarning(m)).filter((w): w is string => !!w);
    if (o.json) return { code: EXIT.ok, stdout: JSON.stringify({ checkpoint: path.resolve(checkpoint), ...r, ...(warnings.length ? { warnings } : {}) }) + '\n' };
    const row = (label: string, m: typeof r.greedy): string =>
      `${label.padEnd(14)}${(m.accuracy * 100).toFixed(1).padStart(6)} %   ${m.response_len_mean.toFixed(1).padStart(7)} tokens   ${(m.truncated_frac * 100).toFixed(1).padStart(5)} % truncated\n`;
    const stdout =
      `${checkpoint}: ${r.dataset} (${r.split} split, ${r.greedy.n} problems, up to ${r.max_tokens} new tokens) on ${r.backend}, judged by ${r.greedy.judge}\n` +
      `${''.padEnd(14)}${'accuracy'.padStart(8)}   ${'mean response'.padStart(13)}\n` +
      row('greedy pass@1', r.greedy) +
      (r.sampled ? row(`mean@${r.sampled.samples}`, r.sampled) : '');
    return { code: EXIT.ok, stdout, ...(warnings.length ? { stderr: warnings.map((w) => `warning: ${w}\n`).join('') } : {}) };
  } catch (e) {
    if (e instanceof RunError) return { code: EXIT.errors, stderr: formatRunError(e) };
    throw e;
  } finally {
    await releaseBackend();
  }
}
