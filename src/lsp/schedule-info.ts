// A schedule's phases at the steps they run: the checker's expanded phases, placed at the global
// step where the stage that uses the schedule starts (from the compiled graph, when the pipeline
// compiles; else counted from the schedule's own first step).
import type { Span } from '../ast/ast.js';
import type { PhaseSpec } from '../semantics/check.js';
import type { Analysis } from './workspace.js';

export interface PhaseRun {
  phase: PhaseSpec;
  /** First step (0-based, global when `global`) and the step after the last. */
  start: number;
  end: number;
}

export interface ScheduleRuns {
  runs: PhaseRun[];
  /** The steps are the pipeline's global steps (the schedule's stage is in the compiled graph). */
  global: boolean;
  /** The stage that uses the schedule, when one does. */
  stage?: string;
}

export function scheduleRuns(a: Analysis, scheduleId: string): ScheduleRuns | undefined {
  const phases = a.out.result?.phases.get(scheduleId);
  if (!phases) return undefined;
  const train = a.out.ir?.nodes.find((n) => n.type === 'train' && n.budget.schedule === scheduleId);
  let step = train && train.type === 'train' ? train.start_step : 0;
  const runs = phases.map((phase) => {
    const run = { phase, start: step, end: step + phase.steps };
    step = run.end;
    return run;
  });
  const out: ScheduleRuns = { runs, global: !!train };
  if (train) out.stage = train.name;
  return out;
}

/** The runs of the phase written at `span` (a phase inside a `repeat` runs once per cycle), from any analysis. */
export function runsOfPhase(analyses: readonly Analysis[], span: Span): ScheduleRuns | undefined {
  let best: ScheduleRuns | undefined;
  for (const a of analyses) {
    for (const id of a.out.result?.phases.keys() ?? []) {
      const all = scheduleRuns(a, id)!;
      const runs = all.runs.filter((r) => r.phase.span.file === span.file && r.phase.span.start.offset === span.start.offset);
      if (!runs.length) continue;
      const found = { ...all, runs };
      if (!best || (found.global && !best.global)) best = found;
    }
  }
  return best;
}

/** `steps 1–20`: 1-based and inclusive, as a person counts them. */
export const stepRange = (r: PhaseRun): string => `${r.start + 1}–${r.end}`;

export function budgetOf(p: PhaseSpec): string {
  return p.curve.from === p.curve.to ? `${p.curve.from} tokens` : `${p.curve.from} → ${p.curve.to} tokens`;
}

/** One line per phase run: `compress (cycle 1): steps 1–20: 112 → 48 tokens, cosine`. */
export function describeRuns(s: ScheduleRuns): string[] {
  return s.runs.map((r) => `${r.phase.name}${r.phase.cycle > 1 || s.runs.some((o) => o !== r && o.phase.name === r.phase.name) ? ` (cycle ${r.phase.cycle})` : ''}: steps ${stepRange(r)}: ${budgetOf(r.phase)}, ${r.phase.curve.kind}, ${r.phase.role}`);
}

/** What a schedule or phase hint says about where the steps are counted from. */
export function countedFrom(s: ScheduleRuns): string {
  return s.global ? `global steps of the pipeline${s.stage ? `, stage \`${s.stage}\`` : ''}` : 'steps from the start of the schedule (the pipeline does not compile yet, or no stage uses it)';
}
