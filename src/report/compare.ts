// `siric compare`: runs grouped into variants (same pipeline and overrides, different seeds), their
// evals aggregated as mean ± std over seeds at every eval point, as tables (text or Markdown), JSON
// and charts. A run directory that cannot be read is reported and left out; the others still count.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { IREval, IRTrain } from '../ir/graph.js';
import { RunError } from '../runtime/types.js';
import { readRun, type RunData } from './report.js';

export interface Stat {
  mean: number;
  /** Sample standard deviation (n − 1): the spread of the runs. */
  std: number;
  /** Standard error of the mean, std / √n: how well the mean is known. */
  se: number;
  n: number;
}

/** Which of a Stat's two spreads the tables and charts show after `±`. */
export type Spread = 'std' | 'se';
export const SPREAD_LABEL: Record<Spread, string> = { std: 'std', se: 's.e.' };

export interface PointRow {
  step: number;
  /** What the step is: `after SFT`, `compress-2 end`, `step 640`, `end`. */
  when: string;
  /** A SIRI-low / SIRI-high point: the end of a compression / expansion phase of the run's plan. */
  siri?: 'low' | 'high';
  /** By column (`greedy`, `mean@4`): accuracy and mean response tokens over the variant's runs. */
  cells: Record<string, Cell>;
}

export interface Cell {
  accuracy: Stat;
  tokens: Stat;
  /** The runs' own values, by seed (for differences paired by seed). */
  by_seed: { seed: number; accuracy: number; tokens: number }[];
}

export interface Variant {
  /** Pipeline name, plus the --set overrides other than the seed. */
  name: string;
  pipeline: string;
  overrides: string[];
  seeds: number[];
  runs: { dir: string; seed: number; complete: boolean; train_time_s: number; rl_len_last10: number | null }[];
  columns: string[];
  points: PointRow[];
}

export interface Problem {
  dir: string;
  message: string;
}

export interface Comparison {
  variants: Variant[];
  problems: Problem[];
}

/** Run directories under the given paths: a run directory itself, or any folder holding runs. */
export function findRunDirs(paths: readonly string[]): { dirs: string[]; problems: Problem[] } {
  const dirs: string[] = [];
  const problems: Problem[] = [];
  const walk = (dir: string, depth: number): boolean => {
    if (existsSync(join(dir, 'manifest.json'))) {
      dirs.push(dir);
      return true;
    }
    if (depth === 0) return false;
    let found = false;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory() && e.name !== 'checkpoints' && !e.name.startsWith('.')) found = walk(join(dir, e.name), depth - 1) || found;
    }
    return found;
  };
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) problems.push({ dir: p, message: 'no such directory' });
    else if (!walk(abs, 3)) problems.push({ dir: p, message: 'no run directories here (a run directory holds manifest.json and metrics.jsonl)' });
  }
  return { dirs: [...new Set(dirs)], problems };
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Mean, sample standard deviation (n − 1; 0 for a single value) and standard error. */
export function stat(xs: readonly number[]): Stat {
  const m = mean(xs);
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean: m, std, se: std / Math.sqrt(xs.length), n: xs.length };
}

const trainNodes = (r: RunData): IRTrain[] => r.ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order);
const evalNodes = (r: RunData): IREval[] => r.ir.nodes.filter((n): n is IREval => n.type === 'eval');
const column = (e: IREval): string => (e.mode === 'greedy' ? 'greedy' : `mean@${e.samples}`);

/**
 * Whether the eval at `step` is at a SIRI-low or SIRI-high checkpoint of this run's plan. Only a
 * schedule that alternates has such points; the check is repeated here for run folders written
 * before the planner stopped labelling the end of a one-way decay.
 */
function siriMark(r: RunData, step: number): 'low' | 'high' | undefined {
  for (const s of trainNodes(r)) {
    const roles = new Set(s.budget.phases.map((ph) => ph.role));
    if (!roles.has('compress') || !roles.has('expand')) continue;
    const c = s.checkpoints.find((k) => k.siri !== null && s.start_step + k.step === step);
    if (c?.siri) return c.siri;
  }
  return undefined;
}

/** What the eval at `step` marks in this run's plan. */
function whenLabel(r: RunData, step: number): string {
  const stages = trainNodes(r);
  const last = stages[stages.length - 1];
  if (last && step === last.start_step + last.steps) return 'end';
  for (const s of stages) {
    if (step === s.start_step + s.steps) return s.algorithm === 'sft' ? 'after SFT' : `end of ${s.name}`;
    if (s.algorithm !== 'grpo') continue;
    const p = s.budget.phases.find((ph) => s.start_step + ph.end === step);
    if (p && s.budget.phases.length > 1) return `${p.name}-${p.cycle} end`;
  }
  return `step ${step}`;
}

export function compareRuns(paths: readonly string[]): Comparison {
  const { dirs, problems } = findRunDirs(paths);
  const runs: { run: RunData; seed: number; key: string; overrides: string[]; complete: boolean }[] = [];
  for (const dir of dirs) {
    let run: RunData;
    try {
      run = readRun(dir);
    } catch (e) {
      if (e instanceof RunError) {
        problems.push({ dir, message: e.message });
        continue;
      }
      throw e;
    }
    const planned = evalNodes(run).reduce((a, e) => a + e.points.length, 0);
    const complete = run.evals.length >= planned;
    // A run that trained every step is finished (even when --max-steps ended it there); stopped only when steps remain.
    const trained = run.train.at(-1)?.global_step ?? 0;
    const why = trained < run.ir.total_steps ? `it stopped at step ${trained} of ${run.ir.total_steps}, or is still going` : `it trained all ${run.ir.total_steps} steps, but its metrics.jsonl lacks the others`;
    if (!complete) problems.push({ dir, message: `incomplete: ${run.evals.length} of ${planned} eval points (${why}); its points are included` });
    if (run.skipped > 0) problems.push({ dir, message: `skipped ${run.skipped} unreadable line${run.skipped === 1 ? '' : 's'} in metrics.jsonl` });
    const overrides = (run.ir.overrides ?? []).filter((o) => o.path !== 'pipeline.seed').map((o) => `${o.path}=${o.value}`);
    runs.push({ run, seed: run.ir.pipeline.seed, key: [run.pipeline, ...overrides].join(' '), overrides, complete });
  }

  const keys = [...new Set(runs.map((r) => r.key))];
  const variants: Variant[] = keys.map((key) => {
    const group = runs.filter((r) => r.key === key).sort((a, b) => a.seed - b.seed);
    const first = group[0]!;
    // Columns and eval points come from every run's evals; each cell aggregates the runs that have it.
    const byPoint = new Map<number, Map<string, { acc: number[]; tok: number[]; seeds: number[] }>>();
    const columns: string[] = [];
    for (const g of group) {
      const nodes = new Map(evalNodes(g.run).map((e) => [e.name, e]));
      for (const e of g.run.evals) {
        const node = nodes.get(e.eval);
        const col = node ? column(node) : e.samples > 1 ? `mean@${e.samples}` : 'greedy';
        if (!columns.includes(col)) columns.push(col);
        const cells = byPoint.get(e.step) ?? new Map<string, { acc: number[]; tok: number[]; seeds: number[] }>();
        byPoint.set(e.step, cells);
        const c = cells.get(col) ?? { acc: [], tok: [], seeds: [] };
        cells.set(col, c);
        c.acc.push(e.accuracy);
        c.tok.push(e.response_len_mean);
        c.seeds.push(g.seed);
      }
    }
    columns.sort((a, b) => (a === 'greedy' ? -1 : b === 'greedy' ? 1 : a.localeCompare(b)));
    const points: PointRow[] = [...byPoint.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([step, cells]) => ({
        step,
        when: whenLabel(first.run, step),
        ...(siriMark(first.run, step) ? { siri: siriMark(first.run, step) } : {}),
        cells: Object.fromEntries([...cells.entries()].map(([col, c]) => [col, { accuracy: stat(c.acc), tokens: stat(c.tok), by_seed: c.seeds.map((seed, i) => ({ seed, accuracy: c.acc[i]!, tokens: c.tok[i]! })) }])),
      }));
    return {
      name: key,
      pipeline: first.run.pipeline,
      overrides: first.overrides,
      seeds: group.map((g) => g.seed),
      runs: group.map((g) => {
        // Sampled (temperature of training) response length over the last 10 RL steps: where a
        // budget shows first, before greedy evals do.
        const rl = g.run.train.filter((t) => t.algorithm === 'grpo').slice(-10);
        return { dir: g.run.dir, seed: g.seed, complete: g.complete, train_time_s: g.run.train.reduce((a, t) => a + (t.time_s ?? 0), 0), rl_len_last10: rl.length ? mean(rl.map((t) => t.response_len_mean)) : null };
      }),
      columns,
      points,
    };
  });
  problems.push(...incomparable(runs.map((r) => ({ variant: r.key, run: r.run }))));
  return { variants, problems };
}

/**
 * Evals that put numbers in the same column but measured differently (another budget, another
 * number of problems or samples): their token counts or accuracies are not comparable.
 */
function incomparable(runs: { variant: string; run: RunData }[]): Problem[] {
  const seen = new Map<string, Map<string, string[]>>();
  for (const { variant, run } of runs) {
    for (const e of evalNodes(run)) {
      const how = `${e.max_tokens} tokens, ${e.limit === null ? 'all' : `at most ${e.limit}`} rows of ${e.data.dataset} (${e.data.split}), temperature ${e.mode === 'greedy' ? 0 : e.temperature}`;
      const byHow = seen.get(column(e)) ?? new Map<string, string[]>();
      seen.set(column(e), byHow);
      const vs = byHow.get(how) ?? [];
      if (!vs.includes(variant)) vs.push(variant);
      byHow.set(how, vs);
    }
  }
  const out: Problem[] = [];
  for (const [col, byHow] of seen) {
    if (byHow.size < 2) continue;
    const detail = [...byHow.entries()].map(([how, vs]) => `${vs.join(', ')}: ${how}`).join('; ');
    out.push({ dir: `(${col} evals)`, message: `not measured the same way across runs, so not comparable: ${detail}` });
  }
  return out;
}

// ---------- tables ----------

const pm = (s: Stat | undefined, f: (x: number) => string, spread: Spread = 'std'): string => (!s ? '-' : s.n > 1 ? `${f(s.mean)} ± ${f(s[spread])}` : f(s.mean));

export interface TableOptions {
  markdown?: boolean;
  /** What follows `±`: the runs' standard deviation (default) or the standard error of the mean. */
  spread?: Spread;
}
const pctf = (x: number): string => (x * 100).toFixed(1);
const tokf = (x: number): string => x.toFixed(1);

function table(head: string[], rows: string[][], markdown: boolean, rightFrom = 2): string {
  if (markdown) {
    const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
    return [line(head), line(head.map((_, i) => (i >= rightFrom ? '---:' : '---'))), ...rows.map(line)].join('\n') + '\n';
  }
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => '  ' + r.map((c, i) => (i >= rightFrom ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('   ').trimEnd()).join('\n') + '\n';
}

function variantHead(v: Variant): string[] {
  return ['after step', 'when', ...v.columns.flatMap((c) => [`${c} acc %`, `${c} tokens`])];
}

/** One table per variant: every eval point, accuracy and mean tokens as mean ± std (or s.e.) over seeds. */
export function variantTables(c: Comparison, o: TableOptions = {}): string {
  const md = !!o.markdown;
  const sp = o.spread ?? 'std';
  return c.variants
    .map((v) => {
      const title = `${v.name} — ${v.runs.length} run${v.runs.length === 1 ? '' : 's'} (seed${v.seeds.length === 1 ? '' : 's'} ${v.seeds.join(', ')})`;
      const rows = v.points.map((p) => [String(p.step), p.siri ? `${p.when} (SIRI-${p.siri})` : p.when, ...v.columns.flatMap((col) => [pm(p.cells[col]?.accuracy, pctf, sp), pm(p.cells[col]?.tokens, tokf, sp)])]);
      return (md ? `#### ${title}\n\n` : `${title}\n`) + table(variantHead(v), rows, md);
    })
    .join('\n');
}

/** The variants side by side at their last eval point. */
export function finalTable(c: Comparison, o: TableOptions = {}): string {
  const sp = o.spread ?? 'std';
  const cols = [...new Set(c.variants.flatMap((v) => v.columns))];
  const head = ['variant', 'runs', 'step', ...cols.flatMap((col) => [`${col} acc %`, `${col} tokens`]), 'RL sample tokens (last 10 steps)', 'train time (s)'];
  const rows = c.variants.map((v) => {
    const last = v.points[v.points.length - 1];
    const t = stat(v.runs.map((r) => r.train_time_s));
    const lens = v.runs.map((r) => r.rl_len_last10).filter((x): x is number => x !== null);
    return [v.name, String(v.runs.length), last ? String(last.step) : '-', ...cols.flatMap((col) => [pm(last?.cells[col]?.accuracy, pctf, sp), pm(last?.cells[col]?.tokens, tokf, sp)]), lens.length ? pm(stat(lens), tokf, sp) : '-', pm(t, (x) => x.toFixed(0), sp)];
  });
  return table(head, rows, !!o.markdown, 1);
}

export interface Delta {
  variant: string;
  step: number;
  column: string;
  /** Per-seed differences variant − baseline (same seed: same data and, when shared, the same warm-up). */
  accuracy: Stat;
  tokens: Stat;
  seeds: number[];
}

/** Each variant against the baseline at the last eval point they share, paired by seed. */
export function pairedDeltas(c: Comparison, baseline: string): Delta[] | string {
  const base = c.variants.find((v) => v.name === baseline);
  if (!base) return `no variant named \`${baseline}\`; the variants are: ${c.variants.map((v) => v.name).join(', ')}`;
  const out: Delta[] = [];
  for (const v of c.variants) {
    if (v === base) continue;
    for (const col of v.columns.filter((x) => base.columns.includes(x))) {
      const shared = v.points.filter((p) => p.cells[col] && base.points.some((q) => q.step === p.step && q.cells[col]));
      const p = shared[shared.length - 1];
      if (!p) continue;
      const q = base.points.find((x) => x.step === p.step)!.cells[col]!;
      const pairs = p.cells[col]!.by_seed.flatMap((a) => {
        const b = q.by_seed.find((x) => x.seed === a.seed);
        return b ? [{ seed: a.seed, acc: a.accuracy - b.accuracy, tok: a.tokens - b.tokens }] : [];
      });
      if (pairs.length === 0) continue;
      out.push({ variant: v.name, step: p.step, column: col, accuracy: stat(pairs.map((x) => x.acc)), tokens: stat(pairs.map((x) => x.tok)), seeds: pairs.map((x) => x.seed) });
    }
  }
  return out;
}

/** The paired differences as a table: Δ accuracy in points, Δ tokens, and Δ tokens relative to the baseline. */
export function deltaTable(c: Comparison, baseline: string, ds: Delta[], o: TableOptions = {}): string {
  const sp = o.spread ?? 'std';
  const base = c.variants.find((v) => v.name === baseline)!;
  const head = ['variant', 'eval', 'step', 'seeds', 'Δ acc (points)', 'Δ tokens', 'Δ tokens %'];
  const rows = ds.map((d) => {
    const b = base.points.find((p) => p.step === d.step)!.cells[d.column]!.tokens.mean;
    const sgn = (x: number, f: (y: number) => string): string => (x > 0 ? '+' : '') + f(x);
    const pmS = (s: Stat, f: (y: number) => string): string => (s.n > 1 ? `${sgn(s.mean, f)} ± ${f(s[sp])}` : sgn(s.mean, f));
    return [d.variant, d.column, String(d.step), d.seeds.join(','), pmS(d.accuracy, pctf), pmS(d.tokens, tokf), sgn((d.tokens.mean / b) * 100, (x) => x.toFixed(1))];
  });
  return table(head, rows, !!o.markdown, 2);
}

export function problemLines(c: Comparison): string {
  return c.problems.map((p) => `warning: ${relative(process.cwd(), p.dir) || p.dir}: ${p.message}\n`).join('');
}

// ---------- charts ----------

const WIDTH = 560;

/**
 * Accuracy against mean tokens: per variant its mean at every eval point (a path in step order, with
 * ± std or s.e. bars), and every run's own value at every point, so that the spread behind a mean
 * stays visible.
 */
export function planeSpec(c: Comparison, col: string, spread: Spread = 'std'): TopLevelSpec {
  const values = c.variants.flatMap((v) =>
    v.points
      .filter((p) => p.cells[col])
      .map((p) => {
        const { accuracy: a, tokens: t } = p.cells[col]!;
        return { variant: v.name, step: p.step, when: p.when, siri: p.siri === 'low' ? 'L' : p.siri === 'high' ? 'H' : '', acc: a.mean, acc_lo: a.mean - a[spread], acc_hi: a.mean + a[spread], tok: t.mean, tok_lo: t.mean - t[spread], tok_hi: t.mean + t[spread], n: a.n };
      }),
  );
  const runs = c.variants.flatMap((v) =>
    v.points
      .filter((p) => p.cells[col])
      .flatMap((p) => p.cells[col]!.by_seed.map((r) => ({ variant: v.name, step: p.step, when: p.when, seed: r.seed, acc: r.accuracy, tok: r.tokens }))),
  );
  const color = { field: 'variant', type: 'nominal', title: 'Variant' };
  const x = { field: 'tok', type: 'quantitative', title: `Mean response tokens (${col})`, scale: { zero: false } };
  const y = { field: 'acc', type: 'quantitative', title: `Accuracy (${col})`, axis: { format: '.0%' }, scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `Accuracy against mean response tokens (${col}), mean ± ${SPREAD_LABEL[spread]} over seeds`, subtitle: 'each path runs through a variant\'s eval points in step order; small rings: every run at every point; L / H: SIRI-low / SIRI-high points' },
    width: WIDTH,
    height: 340,
    layer: [
      { data: { values: runs }, mark: { type: 'point', filled: false, size: 14, opacity: 0.45 }, encoding: { x, y, color, tooltip: [{ field: 'variant' }, { field: 'seed' }, { field: 'step' }, { field: 'when' }, { field: 'acc' }, { field: 'tok' }] } },
      { data: { values }, mark: { type: 'rule', opacity: 0.35 }, encoding: { x, y: { field: 'acc_lo', type: 'quantitative' }, y2: { field: 'acc_hi' }, color } },
      { data: { values }, mark: { type: 'rule', opacity: 0.35 }, encoding: { y, x: { field: 'tok_lo', type: 'quantitative' }, x2: { field: 'tok_hi' }, color } },
      { data: { values }, mark: { type: 'line', strokeWidth: 1.2, opacity: 0.6 }, encoding: { x, y, color, order: { field: 'step', type: 'quantitative' } } },
      { data: { values }, mark: { type: 'point', filled: true, size: 45 }, encoding: { x, y, color, tooltip: [{ field: 'variant' }, { field: 'step' }, { field: 'when' }, { field: 'acc' }, { field: 'tok' }, { field: 'n' }] } },
      // The turning points of an alternating schedule, the checkpoints SIRI keeps, labelled beside their dot.
      { data: { values: values.filter((v) => v.siri !== '') }, mark: { type: 'text', dx: 7, dy: -7, fontSize: 9, fontWeight: 'bold' }, encoding: { x, y, color, text: { field: 'siri' } } },
    ],
  } as unknown as TopLevelSpec;
}

/** Accuracy and tokens over steps per variant (mean line, ± std or s.e. band). */
export function stepsSpec(c: Comparison, col: string, spread: Spread = 'std'): TopLevelSpec {
  const values = c.variants.flatMap((v) =>
    v.points
      .filter((p) => p.cells[col])
      .flatMap((p) => {
        const { accuracy: a, tokens: t } = p.cells[col]!;
        return [
          { variant: v.name, step: p.step, metric: 'accuracy', mean: a.mean, lo: a.mean - a[spread], hi: a.mean + a[spread] },
          { variant: v.name, step: p.step, metric: 'mean response tokens', mean: t.mean, lo: t.mean - t[spread], hi: t.mean + t[spread] },
        ];
      }),
  );
  const color = { field: 'variant', type: 'nominal', title: 'Variant' };
  const x = { field: 'step', type: 'quantitative', title: 'Global step', scale: { zero: false } };
  const panel = (metric: string, title: string, format?: string): Record<string, unknown> => ({
    width: WIDTH,
    height: 180,
    transform: [{ filter: { field: 'metric', equal: metric } }],
    layer: [
      { mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title, ...(format ? { axis: { format } } : {}), scale: { zero: false } }, y2: { field: 'hi' }, color } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, color } },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Held-out evals over training (${col}), mean ± ${SPREAD_LABEL[spread]} over seeds`,
    data: { values },
    vconcat: [panel('accuracy', 'Accuracy', '.0%'), panel('mean response tokens', 'Mean response tokens')],
  } as unknown as TopLevelSpec;
}
