// The live terminal view of a run (ink). Events scroll in a log above (<Static>); below, a live
// region that always fits the terminal: header, the schedule as a timeline with a marker at the
// current step, progress, metric sparklines, the latest evals and the latest sample.
import React from 'react';
import { Box, Static, Text } from 'ink';
import type { StepMetrics } from '../../runtime/types.js';
import type { Segment, TuiState } from './state.js';
import { samplingNote } from '../plain.js';

const h = React.createElement;
const BARS = '▁▂▃▄▅▆▇█';
const ROLE_CHAR: Record<Segment['role'], string> = { sft: '░', compress: '▼', expand: '▲', hold: '─' };
const ROLE_COLOR: Record<Segment['role'], string> = { sft: 'gray', compress: 'cyan', expand: 'magenta', hold: 'white' };

export function sparkline(values: number[], width: number): string {
  const xs = values.slice(-width);
  if (xs.length === 0) return '';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return xs.map((x) => BARS[hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * (BARS.length - 1))]).join('');
}

const clip = (s: string, w: number): string => (s.length <= w ? s : `${s.slice(0, Math.max(0, w - 1))}…`);
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ⏎ ').trim();

export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}` : `${mm}:${String(ss).padStart(2, '0')}`;
}

/** One character per column, coloured by phase role; the current step is marked. */
function Timeline({ s, width }: { s: TuiState; width: number }) {
  const w = Math.max(10, width);
  const total = Math.max(1, s.totalSteps);
  const cells: { ch: string; color: string }[] = [];
  const at = Math.min(w - 1, Math.floor((s.globalStep / total) * w));
  for (let c = 0; c < w; c++) {
    const step = Math.floor((c * total) / w);
    const seg = s.segments.find((g) => step >= g.start && step < g.end) ?? s.segments[s.segments.length - 1];
    const role = seg?.role ?? 'hold';
    cells.push(c === at && s.status === 'running' ? { ch: '█', color: 'yellow' } : { ch: ROLE_CHAR[role], color: ROLE_COLOR[role] });
  }
  // Group runs of the same colour so ink renders few <Text> nodes.
  const runs: { ch: string; color: string }[] = [];
  for (const cell of cells) {
    const last = runs[runs.length - 1];
    if (last && last.color === cell.color) last.ch += cell.ch;
    else runs.push({ ...cell });
  }
  return h(Text, { wrap: 'truncate' }, ...runs.map((r, i) => h(Text, { key: i, color: r.color }, r.ch)));
}

function metricRow(label: string, value: string, series: number[], width: number) {
  const sparkW = Math.max(0, width - 22);
  return h(Text, { key: label, wrap: 'truncate' }, h(Text, { color: 'gray' }, `${label} `.padEnd(11)), value.padStart(9), '  ', h(Text, { color: 'green' }, sparkline(series, sparkW)));
}

const nums = (rows: StepMetrics[], f: (r: StepMetrics) => number | null): number[] => rows.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
const fmt = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

/** The last step's exceptions, when it had any: no update, skipped updates, a batch left short. */
function updateNote(m: StepMetrics, width: number): React.ReactElement | null {
  const parts = [m.no_update ? `no update: ${m.no_update}` : '', m.updates_skipped ? `${m.updates_skipped} non-finite update${m.updates_skipped === 1 ? '' : 's'} skipped` : '', samplingNote(m).replace(/^ \| /, '')].filter(Boolean);
  return parts.length ? h(Text, { key: 'update', wrap: 'truncate', color: 'yellow' }, clip(parts.join(' · '), width)) : null;
}

export function App({ state: s, width, height = 24 }: { state: TuiState; width: number; height?: number }) {
  const w = Math.max(30, Math.min(width, 120));
  const last = s.recent[s.recent.length - 1];
  const rl = s.recent.filter((r) => r.algorithm === 'grpo');
  const elapsed = s.now - s.startedAt;
  const same = s.recent.filter((r) => r.stage === last?.stage);
  const perStep = same.length ? same.reduce((n, r) => n + r.time_s, 0) / same.length : 0;
  const eta = perStep * 1000 * Math.max(0, s.totalSteps - s.globalStep);
  const where = [`step ${s.globalStep}/${s.totalSteps}`, s.stage, s.phase, s.budget !== undefined ? `budget ${s.budget} tokens` : undefined].filter(Boolean).join(' · ');
  const statusText = s.status === 'running' ? `elapsed ${clock(elapsed)} · ETA ${s.recent.length ? clock(eta) : '…'}${last ? ` · ${Math.round(last.tokens_per_s)} tok/s` : ''}` : s.status === 'done' ? `done in ${clock(elapsed)}` : `stopped after step ${s.globalStep}`;
  // Rows in display order, each with a priority: on a short terminal the least important go first,
  // so the live region never grows taller than the screen.
  const rows: { p: number; el: React.ReactElement | null }[] = [
    { p: 0, el: h(Text, { key: 'head', wrap: 'truncate' }, h(Text, { bold: true }, `siric · ${s.pipeline}`), h(Text, { color: 'gray' }, ` (${s.file}) · ${s.backend}`)) },
    { p: 6, el: h(Text, { key: 'dir', wrap: 'truncate', color: 'gray' }, clip(s.runDir, w)) },
    { p: 0, el: h(Timeline, { key: 'timeline', s, width: w }) },
    { p: 0, el: h(Text, { key: 'where', wrap: 'truncate' }, where) },
    { p: 1, el: h(Text, { key: 'status', wrap: 'truncate', color: 'gray' }, statusText) },
    { p: 1, el: metricRow('reward', fmt(last?.reward_mean), nums(rl, (r) => r.reward_mean), w) },
    { p: 3, el: metricRow('accuracy', fmt(last?.accuracy), nums(rl, (r) => r.accuracy), w) },
    { p: 2, el: metricRow('length', last ? `${fmt(last.response_len_mean, 0)}/${last.max_tokens}` : '-', nums(s.recent, (r) => r.response_len_mean / r.max_tokens), w) },
    { p: 4, el: metricRow('truncated', fmt(last?.truncated_frac), nums(rl, (r) => r.truncated_frac), w) },
    { p: 5, el: metricRow('clip frac', fmt(last?.clip_frac, 3), nums(rl, (r) => r.clip_frac), w) },
    { p: 5, el: metricRow('entropy', fmt(last?.entropy), nums(rl, (r) => r.entropy), w) },
    { p: 4, el: metricRow('loss', fmt(last?.loss, 4), nums(s.recent, (r) => r.loss), w) },
    { p: 1, el: last ? updateNote(last, w) : null },
    ...s.evals.slice(-2).map((e) => ({ p: 3, el: h(Text, { key: `eval-${e.eval}`, wrap: 'truncate' }, h(Text, { color: 'gray' }, `eval ${e.eval} `.padEnd(11)), `accuracy ${(100 * e.accuracy).toFixed(1)}%  ${e.response_len_mean.toFixed(1)} tokens  (after step ${e.step}, ${e.reason})`) })),
    {
      p: 4,
      el: s.sample
        ? h(Text, { key: 'sample', wrap: 'truncate' }, h(Text, { color: 'gray' }, 'sample'.padEnd(11)), clip(`${oneLine(s.sample.prompt)} → ${oneLine(s.sample.response)}`, w - 24), h(Text, { color: s.sample.correct ? 'green' : 'red' }, `  ${s.sample.correct ? '✓' : '✗'} ${s.sample.reward.toFixed(2)}${s.sample.truncated ? ' cut' : ''}`))
        : null,
    },
  ].filter((r) => r.el !== null);
  const room = Math.max(4, height - 1);
  for (let p = 6; rows.length > room && p > 0; p--) {
    for (let i = rows.length - 1; i >= 0 && rows.length > room; i--) if (rows[i]!.p === p) rows.splice(i, 1);
  }
  const live = h(Box, { flexDirection: 'column', width: w }, ...rows.map((r) => r.el));
  return h(
    Box,
    { flexDirection: 'column' },
    h(Static<{ line: string; i: number }>, { items: s.log.map((line, i) => ({ line, i })), children: (item) => h(Text, { key: item.i, wrap: 'truncate' }, clip(item.line, w)) }),
    live,
  );
}
