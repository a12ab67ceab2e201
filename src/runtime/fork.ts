// `siric run B.siri --from RUN_A/checkpoints/warmup-end`: start a new run from another run's
// checkpoint when everything up to that checkpoint is the same — seed, model, tokenizer, data, the
// stages before it and their evals. Then the new run is exactly the run it would have been from
// scratch (resuming is exact), without repeating the shared part: schedule variants that share an
// SFT warm-up train it once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IR, IRTrain } from '../ir/graph.js';
import { loadCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import { assertInputsUnchanged, inputFilesOf, type InputHashes } from './input-hashes.js';
import type { RuntimeCode } from './codes.js';
import type { Tokenizer } from './types.js';
import { RunError } from './types.js';

/** JSON with object keys sorted: equal values give equal strings whatever the key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Why `to` cannot continue from a checkpoint of `from` at `state`; empty when it can. */
export function forkMismatches(from: IR, to: IR, at: { stage: string; global_step: number }): string[] {
  const why: string[] = [];
  if (from.pipeline.seed !== to.pipeline.seed) why.push(`the seed differs (${from.pipeline.seed} there, ${to.pipeline.seed} here)`);
  const node = (ir: IR, id: string): unknown => ir.nodes.find((n) => n.id === id);
  const stages = (ir: IR): IRTrain[] => ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order);
  const a = stages(from);
  const b = stages(to);
  const upTo = b.findIndex((s) => s.id === at.stage);
  if (upTo < 0) return [...why, `this pipeline has no stage \`${at.stage.replace(/^train\./, '')}\`, where the checkpoint was taken`];
  for (let i = 0; i <= upTo; i++) {
    const s = b[i]!;
    if (!a[i] || a[i]!.id !== s.id) {
      why.push(`stage ${i + 1} is \`${s.name}\` here but ${a[i] ? `\`${a[i]!.name}\`` : 'missing'} there`);
      continue;
    }
    if (canonical(a[i]) !== canonical(s)) why.push(`stage \`${s.name}\` is configured differently`);
    // What the stage reads: its model, its data, its rewards.
    for (const id of [s.policy, s.data.dataset, ...s.rewards]) {
      if (canonical(node(from, id)) !== canonical(node(to, id))) why.push(`\`${id.replace(/^[a-z]+\./, '')}\` (used by \`${s.name}\`) differs`);
    }
  }
  // Evals that ran up to the checkpoint: their rows are copied, so they must be the same evals.
  const evalsBefore = (ir: IR): string[] =>
    ir.nodes
      .filter((n) => n.type === 'eval')
      .flatMap((e) => (e.type === 'eval' ? e.points.filter((p) => p.step <= at.global_step).map((p) => canonical({ ...e, points: undefined, stages: undefined, point: p })) : []))
      .sort();
  if (canonical(evalsBefore(from)) !== canonical(evalsBefore(to))) why.push(`the evals up to step ${at.global_step} differ`);
  return [...new Set(why)];
}

/** The nodes the stages and evals up to a checkpoint read: their models, data and rewards. */
function readUpTo(ir: IR, at: { stage: string; global_step: number }): IR['nodes'] {
  const stages = ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order);
  const upTo = stages.findIndex((s) => s.id === at.stage);
  const ids = new Set(stages.slice(0, upTo + 1).flatMap((s) => [s.policy, s.data.dataset, ...s.rewards]));
  for (const e of ir.nodes) if (e.type === 'eval' && e.points.some((p) => p.step <= at.global_step)) ids.add(e.data.dataset);
  return ir.nodes.filter((n) => ids.has(n.id));
}

/**
 * Checks that this pipeline can continue from `checkpoint`, copies the rows written up to it into
 * `runDir`, and returns the checkpoint to resume from.
 */
export function forkFrom(checkpoint: string, ir: IR, tokenizer: Tokenizer, runDir: string, baseDir: string): LoadedCheckpoint {
  const dir = path.resolve(checkpoint);
  const source = path.resolve(dir, '..', '..');
  const fail = (why: string, hint?: string, code: RuntimeCode = 'R0208'): never => {
    throw new RunError(`cannot start from ${checkpoint}: ${why}`, hint ?? 'start from a checkpoint of a run with the same seed, model, data and stages up to that checkpoint (e.g. a shared warm-up)', code);
  };
  if (!fs.existsSync(path.join(dir, 'state.json'))) fail('it is not a checkpoint (no state.json)', 'pass a folder like runs/<pipeline>/<id>/checkpoints/warmup-end');
  let manifest: { ir?: IR; inputs?: InputHashes };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(source, 'manifest.json'), 'utf8')) as { ir?: IR; inputs?: InputHashes };
  } catch {
    return fail(`${source} has no readable manifest.json, so what the checkpoint was trained on is unknown`);
  }
  if (!manifest.ir) return fail(`${path.join(source, 'manifest.json')} has no execution graph`);
  const ckpt = loadCheckpoint(dir);
  const why = forkMismatches(manifest.ir, ir, ckpt.state);
  // The tokenizer (a chars tokenizer's alphabet comes from every dataset of the pipeline).
  const saved = Object.fromEntries(Object.keys(tokenizer.files()).map((f) => [f, fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : null]));
  if (canonical(saved) !== canonical(tokenizer.files())) why.push('the tokenizer differs');
  if (why.length) fail(why.join('; '));
  // The same paths must also hold the same bytes: the files read up to the checkpoint.
  if (manifest.inputs) {
    const files = readUpTo(ir, ckpt.state).flatMap((n) => inputFilesOf(n, baseDir));
    const dirs = readUpTo(ir, ckpt.state).flatMap((n) => (n.type === 'model' && n.source.kind === 'hf' ? [n.source.path + path.sep] : []));
    files.push(...Object.keys(manifest.inputs).filter((f) => dirs.some((d) => f.startsWith(d))));
    try {
      assertInputsUnchanged(manifest.inputs, files, baseDir, `${source} read it`, 'start from a checkpoint trained on the files as they are now, or run this pipeline from scratch (without --from)');
    } catch (e) {
      if (e instanceof RunError) fail(e.message, e.hint, e.code);
      throw e;
    }
  }
  // The rows the source run wrote up to the checkpoint become this run's first rows.
  for (const [file, n] of [['metrics.jsonl', ckpt.state.metrics_rows], ['samples.jsonl', ckpt.state.samples_rows]] as const) {
    const src = path.join(source, file);
    const lines = fs.existsSync(src) ? fs.readFileSync(src, 'utf8').split('\n').filter((l) => l.length > 0) : [];
    if (lines.length < n) fail(`${src} has ${lines.length} rows, fewer than the ${n} the checkpoint counts`);
    fs.writeFileSync(path.join(runDir, file), lines.slice(0, n).map((l) => l + '\n').join(''));
  }
  return ckpt;
}
