// What the live view shows, folded from the run's events. Pure: (state, event) → state, so the view
// can be tested on any moment of a run without running one.
import type { IR, IRTrain } from '../../ir/graph.js';
import type { EvalMetrics, RunEvent, StepMetrics } from '../../runtime/types.js';
import { stageEndLines } from '../plain.js';

export interface Segment {
  stage: string;
  label: string;
  role: 'compress' | 'expand' | 'hold' | 'sft';
  /** Global steps [start, end). */
  start: number;
  end: number;
}

export interface TuiState {
  pipeline: string;
  file: string;
  backend: string;
  runDir: string;
  totalSteps: number;
  segments: Segment[];
  /** Steps done in the whole run. */
  globalStep: number;
  stage?: string;
  phase?: string;
  budget?: number;
  /** The most recent steps, oldest first (for sparklines). */
  recent: StepMetrics[];
  /** Latest result of each eval. */
  evals: EvalMetrics[];
  sample?: { prompt: string; response: string; reward: number; correct: boolean; truncated: boolean };
  /** Lines for the scrolling log above the live region. */
  log: string[];
  startedAt: number;
  now: number;
  status: 'running' | 'done' | 'stopped';
}

const RECENT = 60;

export function initialState(ir: IR, now: number): TuiState {
  const segments: Segment[] = [];
  for (const t of ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order)) {
    if (t.algorithm === 'sft') segments.push({ stage: t.name, label: t.name, role: 'sft', start: t.start_step, end: t.start_step + t.steps });
    else for (const p of t.budget.phases) segments.push({ stage: t.name, label: `${p.name}-${p.cycle}`, role: p.role, start: t.start_step + p.start, end: t.start_step + p.end });
  }
  return { pipeline: ir.pipeline.name, file: ir.pipeline.file, backend: '', runDir: '', totalSteps: ir.total_steps, segments, globalStep: 0, recent: [], evals: [], log: [], startedAt: now, now, status: 'running' };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function reduce(s: TuiState, e: RunEvent, now: number): TuiState {
  const next: TuiState = { ...s, now };
  switch (e.type) {
    case 'run_start':
      next.backend = e.backend;
      next.runDir = e.run_dir;
      next.log = [...s.log, ...e.backend_notes.map((n) => `note: ${n}`), ...(e.resumed_from ? [`resumed from ${e.resumed_from}`] : [])];
      break;
    case 'stage_start':
      next.stage = e.stage;
      next.log = [...s.log, `stage ${e.stage} (${e.algorithm}, ${e.steps} steps)`];
      break;
    case 'phase_start':
      next.phase = `${e.phase}-${e.cycle}`;
      if (e.role !== 'hold' || e.phase !== 'sft') next.log = [...s.log, `phase ${e.phase}-${e.cycle} (${e.role}): budget ${e.from} → ${e.to} tokens`];
      break;
    case 'step':
      next.globalStep = e.metrics.global_step;
      next.budget = e.metrics.max_tokens;
      next.recent = [...s.recent, e.metrics].slice(-RECENT);
      break;
    case 'eval':
      next.evals = [...s.evals.filter((x) => x.eval !== e.metrics.eval), e.metrics];
      next.log = [...s.log, `eval ${e.metrics.eval} after step ${e.metrics.step}: accuracy ${pct(e.metrics.accuracy)}, ${e.metrics.response_len_mean.toFixed(1)} tokens`];
      break;
    case 'sample':
      next.sample = { prompt: e.prompt, response: e.response, reward: e.reward, correct: e.correct, truncated: e.truncated };
      break;
    case 'checkpoint':
      next.log = [...s.log, `checkpoint ${e.name}${e.siri ? ` (SIRI-${e.siri})` : ''} after step ${e.global_step}`];
      break;
    case 'warning':
      next.log = [...s.log, `warning: ${e.message}`];
      break;
    case 'stage_end':
      next.log = [...s.log, ...stageEndLines(e)];
      break;
    case 'run_end':
      next.status = e.status === 'done' ? 'done' : 'stopped';
      break;
  }
  return next;
}
