// `siric plan FILE`: the stages and phases with resolved numbers, and a chart of the budget.
import asciichart from 'asciichart';
import { compileFile } from '../compiler.js';
import type { IR, IRTrain } from '../ir/graph.js';
import { EXIT, printDiagnostics, type Outcome } from './common.js';

export interface PlanOptions {
  set?: string[];
  width?: number;
}

/** 16384 → "16384 (16k)": the resolved number, and the suffix form when it is exact. */
export function tokensLabel(n: number): string {
  if (n >= 1024 && n % 1024 === 0) return `${n} (${n / 1024}k)`;
  return String(n);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function renderPlan(ir: IR, width = 80): string {
  const stages = ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order);
  const out: string[] = [];
  out.push(`pipeline ${ir.pipeline.name}  (${ir.pipeline.file})`);
  if (ir.pipeline.description) out.push(ir.pipeline.description);
  out.push(`seed ${ir.pipeline.seed} · backend ${ir.pipeline.backend} · ${stages.length} stage${stages.length === 1 ? '' : 's'} · ${ir.total_steps} steps · ${ir.source_hash.slice(0, 19)}…`);
  for (const o of ir.overrides) out.push(`override: ${o.path} = ${o.value}`);
  out.push('');
  const rows: string[][] = [['stage', 'phase', 'cycle', 'role', 'steps', 'global steps', 'budget (tokens)', 'curve', 'checkpoint']];
  for (const t of stages) {
    if (t.algorithm === 'sft') {
      const ck = t.checkpoints.map((c) => c.name).join(', ');
      rows.push([t.name, '(sft)', '', '', String(t.steps), `${t.start_step} → ${t.start_step + t.steps}`, `max ${tokensLabel(t.budget.max)}`, '', ck]);
      continue;
    }
    for (const ph of t.budget.phases) {
      const ck = t.checkpoints.filter((c) => c.step === ph.end).map((c) => `${c.name}${c.siri ? ` (SIRI-${c.siri})` : ''}`).join(', ');
      const budget = ph.curve.from === ph.curve.to ? tokensLabel(ph.curve.from) : `${tokensLabel(ph.curve.from)} → ${tokensLabel(ph.curve.to)}`;
      rows.push([t.name, ph.name, String(ph.cycle), ph.role, String(ph.steps), `${t.start_step + ph.start} → ${t.start_step + ph.end}`, budget, ph.curve.kind, ck]);
    }
    const periodic = t.checkpoints.filter((c) => c.reason === 'every');
    // Named as on disk: the first and the last (the ones between follow the same pattern).
    const span = periodic.length > 1 ? `${periodic[0]!.name} … ${periodic.at(-1)!.name}` : periodic[0]?.name;
    if (periodic.length) rows.push([t.name, '', '', '', '', '', '', '', `+ ${periodic.length} periodic (every ${periodic[0]!.step} steps: ${span})`]);
  }
  out.push(table(rows));
  const evals = ir.nodes.filter((n) => n.type === 'eval');
  if (evals.length) {
    out.push('');
    for (const e of evals) {
      const steps = e.points.map((p) => p.step);
      const shown = steps.length > 12 ? `${steps.slice(0, 12).join(', ')}, … (${steps.length} in all)` : steps.join(', ');
      out.push(`eval ${e.name}: ${e.mode}${e.samples > 1 ? ` × ${e.samples}` : ''}, up to ${tokensLabel(e.max_tokens)} tokens, after steps ${shown || 'never'}`);
    }
  }
  const chart = budgetChart(stages, width);
  if (chart) out.push('', chart);
  return out.join('\n') + '\n';
}

/** The budget over all steps, squeezed to the terminal width, with a phase strip underneath. */
function budgetChart(stages: IRTrain[], width: number): string | undefined {
  // Only RL stages have a rollout budget; an SFT stage's max_tokens only cuts its targets.
  const rl = stages.filter((t) => t.algorithm === 'grpo');
  const budget: number[] = [];
  const roles: string[] = [];
  for (const t of rl) {
    t.budget.by_step.forEach((b, k) => {
      budget.push(b);
      roles.push(t.budget.phases[t.budget.phase_by_step[k]!]!.role[0]!);
    });
  }
  if (budget.length < 2) return undefined;
  const first = rl[0]!.start_step;
  const maxLabel = String(budget.reduce((a, b) => Math.max(a, b), 0)).length;
  const cols = Math.max(10, Math.min(budget.length, width - maxLabel - 4));
  const series: number[] = [];
  const strip: string[] = [];
  for (let c = 0; c < cols; c++) {
    const i = Math.min(budget.length - 1, Math.floor((c * budget.length) / cols));
    series.push(budget[i]!);
    strip.push({ c: '▼', e: '▲', h: '─' }[roles[i]!] ?? ' ');
  }
  const plot = asciichart
    .plot(series, { height: 10, format: (x: number) => String(Math.round(x)).padStart(maxLabel) })
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
  const pad = ' '.repeat(maxLabel + 2);
  const last = String(first + budget.length);
  const axis = `${pad}${first}${last.padStart(cols - String(first).length)}`;
  return [`rollout budget (max_tokens) over steps ${first}–${first + budget.length} (▼ compress, ▲ expand, ─ hold)`, plot, `${pad}${strip.join('')}`, axis].join('\n');
}

export function planCommand(file: string, opts: PlanOptions): Outcome {
  // A preview of the schedule: it does not need the data or the model yet (`check` and `run` read them).
  const out = compileFile(file, { mode: 'compile', sets: opts.set ?? [] });
  const stderr = printDiagnostics(out.diagnostics, out.texts);
  if (!out.ir) return { code: EXIT.errors, stderr };
  return { code: EXIT.ok, stdout: renderPlan(out.ir, opts.width ?? Math.min(process.stdout.columns ?? 100, 120)), stderr };
}
