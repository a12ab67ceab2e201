// `siric report`: reads finished run directories (manifest.json + metrics.jsonl) and draws the
// SIRI charts as Vega-Lite specs, rendered to SVG in Node by vega's headless View (no browser),
// plus a self-contained report.html. Pure functions apart from reading and writing files; the
// command in src/cli/report.ts prints.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { IR, IRTrain } from '../ir/graph.js';
import { RunError, type EvalMetrics, type StepMetrics } from '../runtime/types.js';
import { siricCommand } from '../util/siric-command.js';

/** An RL phase placed on the global-step axis, for shading. */
export interface PhaseBand {
  run: string;
  stage: string;
  name: string;
  cycle: number;
  role: string;
  start: number;
  end: number;
}

export interface RunData {
  dir: string;
  /** The run id: the directory's name. */
  id: string;
  pipeline: string;
  /** Legend label: pipeline name + run id (made unique across the runs of one report). */
  label: string;
  ir: IR;
  train: StepMetrics[];
  evals: EvalMetrics[];
  /** metrics.jsonl lines that could not be parsed (or were not train/eval rows), skipped. */
  skipped: number;
  bands: PhaseBand[];
}

export interface ReportFiles {
  budget: string;
  reward: string;
  efficiency: string;
  html: string;
}

export interface ReportResult {
  runs: RunData[];
  files: ReportFiles;
}

const PHASE_COLORS = { domain: ['compress', 'expand', 'hold'], range: ['#fdd0a2', '#c6dbef', '#eeeeee'] };
const WIDTH = 640;
const CONFIG = { legend: { labelLimit: 360 } };

// ---------- reading ----------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

function trainNodes(ir: IR): IRTrain[] {
  return ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order);
}

/** Reads one run directory; a RunError names the file when it is missing or corrupt. */
export function readRun(dir: string): RunData {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new RunError(`run directory ${dir} does not exist`, 'pass a finished run directory, e.g. runs/quickstart/<id>');
  }
  const manifestPath = join(abs, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new RunError(`${manifestPath}: no manifest.json, so ${dir} is not a siric run directory`, 'pass a run directory written by `siric run`, e.g. runs/quickstart/<id>');
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new RunError(`${manifestPath}: the manifest is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(manifest) || !isObject(manifest['ir']) || !Array.isArray((manifest['ir'] as Record<string, unknown>)['nodes'])) {
    throw new RunError(`${manifestPath}: the manifest has no execution graph (\`ir\` with \`nodes\`)`);
  }
  const ir = manifest['ir'] as unknown as IR;
  const pipeline = typeof manifest['pipeline'] === 'string' ? manifest['pipeline'] : (ir.pipeline?.name ?? 'pipeline');

  const metricsPath = join(abs, 'metrics.jsonl');
  if (!existsSync(metricsPath)) throw new RunError(`${metricsPath}: no metrics.jsonl in the run directory`, `the run may not have started; start one with \`${siricCommand()} run FILE.siri\``);
  let text: string;
  try {
    text = readFileSync(metricsPath, 'utf8');
  } catch (e) {
    throw new RunError(`${metricsPath}: cannot read the metrics (${(e as Error).message})`);
  }
  const train: StepMetrics[] = [];
  const evals: EvalMetrics[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (isObject(row) && row['type'] === 'train' && num(row['global_step']) && num(row['max_tokens'])) train.push(row as unknown as StepMetrics);
    else if (isObject(row) && row['type'] === 'eval' && num(row['step']) && num(row['accuracy']) && num(row['response_len_mean'])) evals.push(row as unknown as EvalMetrics);
    else skipped++;
  }
  train.sort((a, b) => a.global_step - b.global_step);
  evals.sort((a, b) => a.step - b.step);

  const id = basename(abs);
  const label = `${pipeline} ${id}`;
  const bands: PhaseBand[] = [];
  for (const t of trainNodes(ir)) {
    if (t.algorithm !== 'grpo') continue;
    for (const p of t.budget.phases) {
      bands.push({ run: label, stage: t.name, name: p.name, cycle: p.cycle, role: p.role, start: t.start_step + p.start, end: t.start_step + p.end });
    }
  }
  return { dir: abs, id, pipeline, label, ir, train, evals, skipped, bands };
}

/** Reads several runs and makes their labels unique (two runs may share a name). */
export function readRuns(dirs: readonly string[]): RunData[] {
  const runs = dirs.map(readRun);
  const seen = new Map<string, number>();
  for (const r of runs) {
    const n = (seen.get(r.label) ?? 0) + 1;
    seen.set(r.label, n);
    if (n > 1) r.label = `${r.label} (${n})`;
    for (const b of r.bands) b.run = r.label;
  }
  return runs;
}

// ---------- specs ----------

/** Phase bands of all runs, one per distinct (start, end, role). */
function bandValues(runs: readonly RunData[]): PhaseBand[] {
  const seen = new Set<string>();
  const out: PhaseBand[] = [];
  for (const r of runs) {
    for (const b of r.bands) {
      const key = `${b.start}:${b.end}:${b.role}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(b);
    }
  }
  return out;
}

function bandLayer(runs: readonly RunData[]): Record<string, unknown>[] {
  const values = bandValues(runs);
  if (values.length === 0) return [];
  return [
    {
      data: { values },
      mark: { type: 'rect', opacity: 0.55 },
      encoding: {
        x: { field: 'start', type: 'quantitative', title: 'Global step' },
        x2: { field: 'end' },
        color: { field: 'role', type: 'nominal', title: 'RL phase', scale: PHASE_COLORS },
        tooltip: [{ field: 'name' }, { field: 'cycle' }, { field: 'start' }, { field: 'end' }],
      },
    },
  ];
}

/** Line colour: by metric for one run; by run (with the metric as the dash) for several. */
function seriesEncoding(multi: boolean, metricTitle: string): Record<string, unknown> {
  return multi
    ? { color: { field: 'run', type: 'nominal', title: 'Run' }, strokeDash: { field: 'metric', type: 'nominal', title: metricTitle } }
    : { color: { field: 'metric', type: 'nominal', title: metricTitle } };
}

/** Budget (max_tokens), mean and max response length, and the truncation rate, over global steps. */
export function budgetSpec(runs: readonly RunData[]): TopLevelSpec {
  const multi = runs.length > 1;
  const tokens: Record<string, unknown>[] = [];
  const trunc: Record<string, unknown>[] = [];
  for (const r of runs) {
    for (const m of r.train) {
      tokens.push({ run: r.label, global_step: m.global_step, metric: 'budget (max_tokens)', value: m.max_tokens });
      tokens.push({ run: r.label, global_step: m.global_step, metric: 'mean response length', value: m.response_len_mean });
      tokens.push({ run: r.label, global_step: m.global_step, metric: 'max response length', value: m.response_len_max });
      trunc.push({ run: r.label, global_step: m.global_step, metric: 'truncation rate', value: m.truncated_frac });
    }
  }
  const x = { field: 'global_step', type: 'quantitative', title: 'Global step' };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    title: 'Rollout budget and response length',
    vconcat: [
      {
        width: WIDTH,
        height: 260,
        layer: [
          ...bandLayer(runs),
          { data: { values: tokens }, mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y: { field: 'value', type: 'quantitative', title: 'Tokens' }, detail: { field: 'run' }, ...seriesEncoding(multi, 'Series') } },
        ],
        resolve: { scale: { color: 'independent' } },
      },
      {
        width: WIDTH,
        height: 110,
        layer: [
          ...bandLayer(runs),
          {
            data: { values: trunc },
            mark: { type: 'line', strokeWidth: 1.5 },
            encoding: { x, y: { field: 'value', type: 'quantitative', title: 'Truncation rate', scale: { domain: [0, 1] }, axis: { format: '.0%' } }, ...(multi ? { color: { field: 'run', type: 'nominal', title: 'Run' } } : { color: { value: '#d62728' } }) },
          },
        ],
        resolve: { scale: { color: 'independent' } },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
  return spec as unknown as TopLevelSpec;
}

/** The global steps of the RL (GRPO) stages of all runs, [first, last]: the only steps with a reward. */
function rlSteps(runs: readonly RunData[]): [number, number] | undefined {
  const rl = runs.flatMap((r) => trainNodes(r.ir)).filter((t) => t.algorithm === 'grpo');
  if (rl.length === 0) return undefined;
  return [Math.min(...rl.map((t) => t.start_step)), Math.max(...rl.map((t) => t.start_step + t.steps))];
}

/** Reward mean and (training) accuracy over global steps, RL steps only. */
export function rewardSpec(runs: readonly RunData[]): TopLevelSpec {
  const multi = runs.length > 1;
  const values: Record<string, unknown>[] = [];
  for (const r of runs) {
    for (const m of r.train) {
      if (m.reward_mean !== null && m.reward_mean !== undefined) values.push({ run: r.label, global_step: m.global_step, metric: 'reward mean', value: m.reward_mean });
      if (m.accuracy !== null && m.accuracy !== undefined) values.push({ run: r.label, global_step: m.global_step, metric: 'accuracy', value: m.accuracy });
    }
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    title: 'Reward and accuracy (RL training batches)',
    width: WIDTH,
    height: 260,
    layer: [
      ...bandLayer(runs),
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          // The x axis spans the RL stages: SFT steps have no reward to draw.
          x: { field: 'global_step', type: 'quantitative', title: 'Global step', ...(rlSteps(runs) ? { scale: { domain: rlSteps(runs), nice: false, zero: false } } : {}) },
          y: { field: 'value', type: 'quantitative', title: 'Reward / accuracy' },
          detail: { field: 'run' },
          ...seriesEncoding(multi, 'Metric'),
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
  return spec as unknown as TopLevelSpec;
}

/** Eval accuracy against mean response tokens (the performance–efficiency plane), in time order. */
export function efficiencySpec(runs: readonly RunData[]): TopLevelSpec {
  const multiEval = new Set(runs.flatMap((r) => r.evals.map((e) => e.eval))).size > 1;
  const values: Record<string, unknown>[] = [];
  for (const r of runs) {
    for (const e of r.evals) {
      values.push({
        run: r.label,
        series: multiEval ? `${r.label} · ${e.eval}` : r.label,
        eval: e.eval,
        step: e.step,
        label: `step ${e.step}`,
        stage: e.stage,
        reason: e.reason,
        accuracy: e.accuracy,
        response_len_mean: e.response_len_mean,
      });
    }
  }
  const color = { field: 'series', type: 'nominal', title: 'Run' };
  // From zero tokens: a spread of one token among twenty must not fill the chart.
  const x = { field: 'response_len_mean', type: 'quantitative', title: 'Mean response tokens', scale: { zero: true } };
  const y = { field: 'accuracy', type: 'quantitative', title: 'Accuracy', axis: { format: '.0%' } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    title: 'Performance–efficiency plane (evals)',
    width: WIDTH,
    height: 320,
    data: { values },
    encoding: { x, y, color },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 }, encoding: { order: { field: 'step', type: 'quantitative' }, detail: { field: 'series' } } },
      { mark: { type: 'point', filled: true, size: 50 }, encoding: { tooltip: [{ field: 'run' }, { field: 'eval' }, { field: 'step' }, { field: 'reason' }, { field: 'accuracy' }, { field: 'response_len_mean' }] } },
      { mark: { type: 'text', dx: 6, dy: -7, align: 'left', fontSize: 9 }, encoding: { text: { field: 'label' } } },
    ],
  };
  return spec as unknown as TopLevelSpec;
}

// ---------- rendering ----------

/** Compiles a Vega-Lite spec and renders it to SVG with vega's headless View (no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new View(parseVega(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// ---------- the page ----------

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** What an eval point marks: after SFT, the end of an RL phase, or the final eval (only at the run's last step). */
export function evalPointLabel(run: RunData, e: EvalMetrics): string {
  if (e.step === run.ir.total_steps) return 'final';
  const stage = trainNodes(run.ir).find((t) => t.name === e.stage);
  if (stage && e.reason === 'stage_end') return stage.algorithm === 'sft' ? 'after SFT' : `end of ${stage.name}`;
  if (stage && e.reason === 'phase_end') {
    const p = stage.budget.phases.find((ph) => stage.start_step + ph.end === e.step);
    if (p) return `end of ${p.name} (cycle ${p.cycle})`;
  }
  return e.reason;
}

function summaryTable(run: RunData): string {
  if (run.evals.length === 0) return '<p class="note">No evals in this run.</p>';
  const rows = run.evals
    .map((e) => {
      const point = evalPointLabel(run, e);
      return `<tr><td>${esc(e.eval)}</td><td>${esc(point)}</td><td>${esc(e.stage ?? '')}</td><td class="n">${e.step}</td><td class="n">${pct(e.accuracy)}</td><td class="n">${e.response_len_mean.toFixed(1)}</td><td class="n">${pct(e.truncated_frac)}</td><td class="n">${e.n}</td></tr>`;
    })
    .join('\n');
  const trained = run.train.at(-1)?.global_step ?? 0;
  const stopped = trained < run.ir.total_steps ? `<p class="note">Stopped at step ${trained} of ${run.ir.total_steps}: no final eval yet.</p>\n` : '';
  return `${stopped}<table>
<thead><tr><th>Eval</th><th>Point</th><th>Stage</th><th>Global step</th><th>Accuracy</th><th>Mean tokens</th><th>Truncated</th><th>n</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:980px;color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta{color:#555;margin-top:0}.note{color:#8a5a00}figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0 1.5rem}th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f5f5f5}svg{max-width:100%;height:auto}`;

/** The self-contained page: charts inlined, inline CSS, no external resources, no timestamps. */
export function reportHtml(runs: readonly RunData[], svgs: { budget: string; reward: string; efficiency: string }): string {
  const first = runs[0]!;
  const pipelines = [...new Set(runs.map((r) => r.pipeline))];
  const title = `siric report: ${pipelines.join(', ')}`;
  const others =
    runs.length > 1
      ? `<p class="meta">Overlaid runs: ${runs.map((r, i) => `<code>${esc(r.label)}</code>${i === 0 ? ' (this directory)' : ` (<code>${esc(r.dir)}</code>)`}`).join(', ')}</p>`
      : '';
  const skipped = runs
    .filter((r) => r.skipped > 0)
    .map((r) => `<p class="note">${r.skipped} unreadable line${r.skipped === 1 ? '' : 's'} in the metrics of <code>${esc(r.label)}</code> skipped.</p>`)
    .join('\n');
  const tables = runs.map((r) => `${runs.length > 1 ? `<h3>${esc(r.label)}</h3>\n` : ''}${summaryTable(r)}`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">Pipeline <strong>${esc(first.pipeline)}</strong>, run <code>${esc(first.id)}</code>${first.ir.pipeline?.description ? ` — ${esc(first.ir.pipeline.description)}` : ''}</p>
${others}
${skipped}
<h2>Eval summary</h2>
${tables}
<h2>Budget and response length</h2>
<figure id="budget">${svgs.budget}<figcaption>The rollout budget (max_tokens) per global step, with mean and max response length and the truncation rate; RL phases shaded (compress vs expand).</figcaption></figure>
<h2>Reward and accuracy</h2>
<figure id="reward">${svgs.reward}<figcaption>Mean reward and accuracy of the RL training batches per global step.</figcaption></figure>
<h2>Performance–efficiency plane</h2>
<figure id="efficiency">${svgs.efficiency}<figcaption>Eval accuracy against mean response tokens at each eval point, joined in time order and labelled by global step.</figcaption></figure>
</body>
</html>
`;
}

/** Reads the runs, renders the three charts and writes them and report.html into the first run directory. */
export async function writeReport(dirs: readonly string[]): Promise<ReportResult> {
  if (dirs.length === 0) throw new RunError('no run directory given');
  const runs = readRuns(dirs);
  const [budget, reward, efficiency] = await Promise.all([renderSvg(budgetSpec(runs)), renderSvg(rewardSpec(runs)), renderSvg(efficiencySpec(runs))]);
  const out = runs[0]!.dir;
  const files: ReportFiles = { budget: join(out, 'budget.svg'), reward: join(out, 'reward.svg'), efficiency: join(out, 'efficiency.svg'), html: join(out, 'report.html') };
  writeFileSync(files.budget, budget);
  writeFileSync(files.reward, reward);
  writeFileSync(files.efficiency, efficiency);
  writeFileSync(files.html, reportHtml(runs, { budget, reward, efficiency }));
  return { runs, files };
}
