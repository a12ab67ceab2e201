// `siric sweep FILE... --seeds 1,2,3`: runs each pipeline once per seed (and --set overrides), one
// run directory each, as child `siric run` processes — `--jobs` at a time, since one run keeps one
// core busy. Every file is compiled first, so a typo fails the sweep before any training starts.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../compiler.js';
import type { IR, IRTrain } from '../ir/graph.js';
import type { EvalMetrics, RunEvent } from '../runtime/types.js';
import { PACKAGE_ROOT } from '../util/package-root.js';
import { shellQuote, siricCommand } from '../util/siric-command.js';
import { EXIT, printDiagnostics, type Outcome } from './common.js';

export interface SweepOptions {
  seeds: number[];
  set?: string[];
  jobs?: number;
  out?: string;
  backend?: string;
  maxSteps?: number;
  /** Per seed, run the first file fully and start the others from its checkpoint of this name. */
  forkAt?: string;
}

export interface SweepRun {
  file: string;
  pipeline: string;
  seed: number;
  status: 'done' | 'stopped' | 'failed';
  exit_code: number;
  run_dir: string | null;
  time_s: number;
  /** The last eval of each eval block (the run's final numbers). */
  final: EvalMetrics[];
  /** The checkpoint it started from (--fork-at). */
  started_from?: string;
  error?: string;
}

/** Starts `siric run` for one (file, seed); resolves when the child exits. Replaceable in tests. */
export type RunLauncher = (args: string[], onEvent: (e: RunEvent) => void) => Promise<{ code: number; stderr: string }>;

export const launchSiricRun: RunLauncher = (args, onEvent) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'siric.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let buffered = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          onEvent(JSON.parse(line) as RunEvent);
        } catch {
          // not an event line; ignore
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (e) => resolve({ code: EXIT.internal, stderr: `cannot start siric run: ${e.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === 'SIGINT' ? EXIT.interrupted : EXIT.internal), stderr }));
  });

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
/** Relative to the working folder when below it, else absolute. */
const show = (p: string): string => {
  const r = path.relative(process.cwd(), p);
  return r === '' || r.startsWith('..') ? p : r;
};
const mmss = (s: number): string => `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;

/**
 * Why some pipelines could not start from the first one's checkpoint `name` (the checks
 * `siric run --from` makes), as error lines; empty when all can.
 */
async function forkRefusals(pipelines: { file: string; ir: IR }[], name: string): Promise<string> {
  const { forkMismatches } = await import('../runtime/fork.js');
  const trunk = pipelines[0]!;
  const stage = trunk.ir.nodes.find((n): n is IRTrain => n.type === 'train' && n.checkpoints.some((c) => c.name === name))!;
  const at = { stage: stage.id, global_step: stage.start_step + stage.checkpoints.find((c) => c.name === name)!.step };
  let text = '';
  for (const p of pipelines.slice(1)) {
    // The sweep gives every run its seed; a different seed in the file is not a difference.
    const why = forkMismatches(trunk.ir, { ...p.ir, pipeline: { ...p.ir.pipeline, seed: trunk.ir.pipeline.seed } }, at);
    if (why.length === 0) continue;
    text += `error: --fork-at ${name}: ${p.file} cannot start from ${trunk.file}'s checkpoint \`${name}\`: ${why.join('; ')}\n`;
    // Declarations imported from another file are named by the import's path from the pipeline's
    // folder: the same shared file, imported from two folders, gives two names.
    const same = p.ir.nodes.find((n): n is IRTrain => n.type === 'train' && n.name === stage.name && n.id !== stage.id);
    if (same) text += `  = help: the stage is \`${stage.id.replace(/^train\./, '')}\` there and \`${same.id.replace(/^train\./, '')}\` here: imported declarations are named by their path from the pipeline's folder, so keep the variants in one folder (${path.dirname(trunk.file)})\n`;
  }
  return text ? text + 'error: the sweep did not start\n' : '';
}

export async function sweepCommand(files: string[], o: SweepOptions, io: { launch?: RunLauncher; log?: (line: string) => void } = {}): Promise<Outcome> {
  const launch = io.launch ?? launchSiricRun;
  const log = io.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const sets = o.set ?? [];
  if (sets.some((s) => s.trim().startsWith('pipeline.seed'))) return { code: EXIT.usage, stderr: 'error: the sweep sets pipeline.seed itself; give the seeds with --seeds\n' };

  // Compile everything before the first run starts.
  const pipelines: { file: string; name: string; checkpoints: string[]; ir: IR }[] = [];
  let stderr = '';
  for (const file of files) {
    const out = compileFile(file, { mode: 'compile', sets, readFiles: true });
    stderr += printDiagnostics(out.diagnostics, out.texts);
    if (out.ir) pipelines.push({ file, name: out.ir.pipeline.name, checkpoints: out.ir.nodes.flatMap((n) => (n.type === 'train' ? n.checkpoints.map((c) => c.name) : [])), ir: out.ir });
  }
  if (pipelines.length < files.length) return { code: EXIT.errors, stderr: stderr + 'error: the sweep did not start: fix the pipelines above first\n' };
  if (o.forkAt !== undefined) {
    if (pipelines.length < 2) return { code: EXIT.usage, stderr: stderr + 'error: --fork-at shares the first pipeline\'s checkpoint with the others: give at least two files\n' };
    if (!pipelines[0]!.checkpoints.includes(o.forkAt)) return { code: EXIT.usage, stderr: stderr + `error: --fork-at: ${pipelines[0]!.file} writes no checkpoint \`${o.forkAt}\`; it writes ${[...new Set(pipelines[0]!.checkpoints)].join(', ')}\n` };
    // Every other pipeline must be able to start from that checkpoint: found out now, not after
    // the first pipeline has trained up to it.
    const refused = await forkRefusals(pipelines, o.forkAt);
    if (refused) return { code: EXIT.usage, stderr: stderr + refused };
  }
  if (stderr) process.stderr.write(stderr);

  // Seed-major: a sweep cut short still has every variant for the first seeds.
  const tasks = o.seeds.flatMap((seed) => pipelines.map((p, i) => ({ ...p, seed, trunk: i === 0 })));
  const jobs = Math.max(1, Math.min(o.jobs ?? 1, tasks.length));
  log(`siric sweep: ${pipelines.length} pipeline${pipelines.length === 1 ? '' : 's'} × ${o.seeds.length} seed${o.seeds.length === 1 ? '' : 's'} = ${tasks.length} run${tasks.length === 1 ? '' : 's'}, ${jobs} at a time`);

  // --fork-at: per seed, the trunk's checkpoint once written (null: the trunk ended without it).
  const trunkCheckpoint = new Map<number, string | null>();
  const pending = [...tasks];
  const waiters: (() => void)[] = [];
  const notify = (): void => waiters.splice(0).forEach((w) => w());
  const ready = (t: (typeof tasks)[number]): boolean => o.forkAt === undefined || t.trunk || trunkCheckpoint.has(t.seed);
  /** The next task that can start, waiting for a trunk's checkpoint when none can yet. */
  const take = async (): Promise<(typeof tasks)[number] | undefined> => {
    for (;;) {
      if (interrupted || pending.length === 0) return undefined;
      const i = pending.findIndex(ready);
      if (i >= 0) return pending.splice(i, 1)[0];
      await new Promise<void>((r) => waiters.push(r));
    }
  };

  let interrupted = false;
  const onSigint = (): void => {
    // The children get the same Ctrl-C: each finishes its step and checkpoints. Start no more.
    interrupted = true;
    notify();
  };
  process.on('SIGINT', onSigint);
  const results: SweepRun[] = [];
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let t = await take(); t; t = await take()) {
      const tag = `[${t.name} seed ${t.seed}]`;
      const from = o.forkAt !== undefined && !t.trunk ? trunkCheckpoint.get(t.seed) : undefined;
      if (from === null) {
        const error = `not started: ${pipelines[0]!.name} seed ${t.seed} ended without writing checkpoint \`${o.forkAt}\``;
        results.push({ file: t.file, pipeline: t.name, seed: t.seed, status: 'failed', exit_code: EXIT.errors, run_dir: null, time_s: 0, final: [], error });
        log(`${tag} ${error}`);
        continue;
      }
      const args = ['run', t.file, '--json', '--no-tui', '--set', `pipeline.seed=${t.seed}`, ...sets.flatMap((s) => ['--set', s])];
      if (from) args.push('--from', from);
      if (o.out) args.push('--out', o.out);
      if (o.backend) args.push('--backend', o.backend);
      if (o.maxSteps) args.push('--max-steps', String(o.maxSteps));
      const t0 = performance.now();
      let runDir: string | null = null;
      let status = 'failed' as SweepRun['status'];
      let total = 0;
      const last = new Map<string, EvalMetrics>();
      const { code, stderr: err } = await launch(args, (e) => {
        if (e.type === 'run_start') {
          runDir = e.run_dir;
          total = e.total_steps;
          log(`${tag} started: ${show(e.run_dir)} (${e.backend})`);
        } else if (e.type === 'eval') {
          last.set(e.metrics.eval, e.metrics);
          const m = e.metrics;
          log(`${tag} eval ${m.eval} at step ${m.step}/${total}: accuracy ${pct(m.accuracy)}, ${m.response_len_mean.toFixed(1)} tokens`);
        } else if (e.type === 'stage_start') log(`${tag} stage ${e.stage}: ${e.algorithm}, ${e.steps} steps`);
        else if (e.type === 'step' && total >= 10 && e.metrics.global_step % Math.ceil(total / 10) === 0 && e.metrics.global_step < total) {
          // A sign of life about every tenth of the run (SFT stages print no evals for minutes).
          const m = e.metrics;
          log(`${tag} step ${m.global_step}/${total}${m.algorithm === 'grpo' ? `: reward ${m.reward_mean?.toFixed(2)}, ${m.response_len_mean.toFixed(1)} tokens (budget ${m.max_tokens})` : `: loss ${m.loss?.toFixed(3)}`}`);
        } else if (e.type === 'warning') log(`${tag} warning: ${e.message}`);
        else if (e.type === 'checkpoint' && t.trunk && e.name === o.forkAt) {
          trunkCheckpoint.set(t.seed, e.path);
          log(`${tag} checkpoint ${e.name}: the other pipelines of seed ${t.seed} start from it`);
          notify();
        } else if (e.type === 'run_end') status = e.status;
      });
      if (t.trunk && o.forkAt !== undefined && !trunkCheckpoint.has(t.seed)) {
        trunkCheckpoint.set(t.seed, null);
        notify();
      }
      const time = (performance.now() - t0) / 1000;
      if (code !== 0 && status === 'done') status = 'failed';
      const error = status === 'failed' ? err.trim().split('\n').filter((l) => l.startsWith('error') || l.includes('= help'))[0] ?? err.trim().split('\n').pop() ?? `exit ${code}` : undefined;
      results.push({ file: t.file, pipeline: t.name, seed: t.seed, status, exit_code: code, run_dir: runDir, time_s: time, final: [...last.values()], ...(from ? { started_from: from } : {}), ...(error ? { error } : {}) });
      log(`${tag} ${status} in ${mmss(time)}${error ? `: ${error}` : ''}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    process.off('SIGINT', onSigint);
  }
  const wall = (performance.now() - started) / 1000;

  const order = (r: SweepRun): number => tasks.findIndex((t) => t.file === r.file && t.seed === r.seed);
  results.sort((a, b) => order(a) - order(b));
  if (o.out) {
    fs.mkdirSync(o.out, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    fs.writeFileSync(path.join(o.out, `sweep-${stamp}.json`), JSON.stringify({ files, seeds: o.seeds, set: sets, jobs, ...(o.forkAt !== undefined ? { fork_at: o.forkAt } : {}), wall_s: wall, runs: results }, null, 2) + '\n');
  }
  const failed = results.filter((r) => r.status === 'failed');
  const dirs = results.map((r) => r.run_dir).filter((d): d is string => d !== null);
  const lines = [
    '',
    `${results.length} of ${tasks.length} runs finished in ${mmss(wall)} (${results.filter((r) => r.status === 'done').length} done, ${results.filter((r) => r.status === 'stopped').length} stopped, ${failed.length} failed)`,
    ...results.map((r) => `  ${r.pipeline.padEnd(20)} seed ${String(r.seed).padEnd(4)} ${r.status.padEnd(8)} ${mmss(r.time_s).padStart(7)}  ${r.run_dir ? show(r.run_dir) : '-'}`),
    ...(dirs.length ? ['', `compare with: ${siricCommand()} compare ${(o.out ? [show(path.resolve(o.out))] : dirs.map(show)).map(shellQuote).join(' ')}`] : []),
    '',
  ];
  const stopped = results.filter((r) => r.status === 'stopped');
  const hints = stopped.map((r) => `resume with: ${siricCommand()} run ${shellQuote(r.file)} --set pipeline.seed=${r.seed}${sets.map((s) => ` --set ${shellQuote(s)}`).join('')} --resume ${shellQuote(show(r.run_dir!))}\n`).join('');
  return { code: interrupted ? EXIT.interrupted : failed.length ? EXIT.errors : EXIT.ok, stdout: lines.join('\n'), ...(hints ? { stderr: hints } : {}) };
}

/** `1,2,3` or `1-5` or a mix. */
export function parseSeeds(v: string): number[] | undefined {
  const out: number[] = [];
  for (const part of v.split(',').map((p) => p.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a || b - a > 1000) return undefined;
      for (let s = a; s <= b; s++) out.push(s);
    } else if (/^\d+$/.test(part)) out.push(Number(part));
    else return undefined;
  }
  return out.length && new Set(out).size === out.length ? out : undefined;
}
