// The plain reporter: one line per step and per event, for logs, CI and pipes.
import type { DecodeGraphStats, EvalMetrics, RunEvent, StepMetrics, UpdateGraphStats } from '../runtime/types.js';

const f = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

export function plainLine(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'run_start':
      return [`siric run: ${e.pipeline} (${e.file})${e.resumed_from ? `, resumed from ${e.resumed_from}` : ''}`, `  backend ${e.backend}`, ...e.backend_notes.map((n) => `  - ${n}`), `  ${e.total_steps} steps, run directory ${e.run_dir}`].join('\n');
    case 'stage_start':
      return `stage ${e.stage}: ${e.algorithm}, ${e.steps} steps (global ${e.start_step}..${e.start_step + e.steps})`;
    case 'phase_start':
      return `phase ${e.phase}-${e.cycle} (${e.role}) from step ${e.step}: budget ${e.from} → ${e.to} tokens`;
    case 'step': {
      const m = e.metrics;
      const head = `[${m.stage} ${m.step} · ${m.global_step}] ${m.phase}-${m.cycle} max ${m.max_tokens}`;
      if (m.algorithm === 'sft') return `${head} | loss ${f(m.loss, 4)} len ${f(m.response_len_mean, 1)} | gn ${f(m.grad_norm)} lr ${m.lr.toExponential(1)}${m.no_update ? ` | no update: ${m.no_update}` : ''} | ${Math.round(m.tokens_per_s)} tok/s ${f(m.time_s)}s`;
      const update = m.no_update ? `no update: ${m.no_update}` : `loss ${f(m.loss, 4)} clip ${f(m.clip_frac, 3)} ent ${f(m.entropy)} gn ${f(m.grad_norm)}`;
      return `${head} | reward ${f(m.reward_mean)}±${f(m.reward_std)} acc ${f(m.accuracy)} len ${f(m.response_len_mean, 1)}/${m.response_len_max} trunc ${f(m.truncated_frac)}${samplingNote(m)} | ${update}${m.updates_skipped ? ` | skipped ${m.updates_skipped} non-finite` : ''} | ${Math.round(m.tokens_per_s)} tok/s ${f(m.time_s)}s`;
    }
    case 'eval':
      return `eval ${e.metrics.eval} after step ${e.metrics.step} (${e.metrics.reason}): accuracy ${f(e.metrics.accuracy, 3)}, mean tokens ${f(e.metrics.response_len_mean, 1)}, truncated ${f(e.metrics.truncated_frac)} over ${e.metrics.n}${e.metrics.samples > 1 ? ` × ${e.metrics.samples}` : ''}`;
    case 'checkpoint':
      return `checkpoint ${e.name}${e.siri ? ` (SIRI-${e.siri})` : ''} after step ${e.global_step}: ${e.path}`;
    case 'warning':
      return `warning: ${e.message}`;
    case 'stage_end':
      return stageEndLines(e).join('\n') || undefined;
    case 'sample':
      return undefined;
    case 'run_end':
      return [summaryTable(e.summary), e.status === 'done' ? `done: ${e.run_dir}` : `stopped: the last checkpoint is in ${e.run_dir}/checkpoints`].filter(Boolean).join('\n');
  }
}

/** Dynamic sampling's refills and a batch it could not fill: ` | 3 rounds, 2 groups short`. */
export function samplingNote(m: StepMetrics): string {
  const parts = [(m.sampling_rounds ?? 1) > 1 ? `${m.sampling_rounds} rounds` : '', m.groups_short ? `${m.groups_short} group${m.groups_short === 1 ? '' : 's'} short` : ''].filter(Boolean);
  return parts.length ? ` | ${parts.join(', ')}` : '';
}

/** What a stage_end says: how its updates and decode steps ran on webgpu (none elsewhere). */
export function stageEndLines(e: { stage: string; update_graphs?: UpdateGraphStats; decode_graphs?: DecodeGraphStats }): string[] {
  return [e.update_graphs ? graphLine(e.stage, e.update_graphs) : '', e.decode_graphs ? decodeLine(e.stage, e.decode_graphs) : ''].filter(Boolean);
}

/** How a stage's decode steps (rollouts and evals) ran on webgpu. */
export function decodeLine(stage: string, d: DecodeGraphStats): string {
  return `${stage}: ${d.replayed} of ${d.steps} decode steps replayed as step graphs`;
}

/** How a stage's updates ran on webgpu (replayed step graphs or through tfjs). */
export function graphLine(stage: string, g: UpdateGraphStats): string {
  return `${stage}: ${g.replayed} of ${g.updates} updates replayed as step graphs${g.reason ? `; the last through tfjs: ${g.reason}` : ''}`;
}

/** Eval accuracy and mean response tokens at every eval point: after SFT, at phase ends, at the end. */
export function summaryTable(rows: EvalMetrics[]): string {
  if (!rows.length) return '';
  const head = ['eval', 'after step', 'stage', 'when', 'accuracy', 'mean tokens', 'truncated'];
  const body = rows.map((r) => [r.eval, String(r.step), r.stage ?? '-', r.reason, f(r.accuracy, 3), f(r.response_len_mean, 1), f(r.truncated_frac, 2)]);
  const all = [head, ...body];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  // Which reward decided "accuracy", per eval (rows from before evals named their judge have none).
  const judges = [...new Set(rows.filter((r) => r.judge).map((r) => `${r.eval} by ${r.judge}`))];
  const judged = judges.length ? [`accuracy judged: ${judges.join(', ')}`] : [];
  return ['', ...all.map((r) => r.map((c, i) => (i >= 4 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd()), ...judged, ''].join('\n');
}
