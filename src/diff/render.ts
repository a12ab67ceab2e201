// A Diff as text for a terminal (and for `git diff` through --textconv's sibling, show.ts).
import { describeOrigin } from '../semantics/provenance.js';
import type { BudgetSummary, Diff, SettingChange, SideValue, ValueOrigin } from './compare.js';

const MARK = { changed: '~', added: '+', removed: '-' } as const;

export function describeValueOrigin(o: ValueOrigin): string {
  if (o.kind === 'derived') return 'derived by the compiler';
  if (o.kind === 'unknown') return 'origin unknown';
  return describeOrigin(o);
}

export function renderDiff(d: Diff): string {
  const out: string[] = [];
  for (const [k, s] of [['a', d.a], ['b', d.b]] as const) {
    const over = s.overrides.length ? `, with ${s.overrides.map((o) => `--set ${o.path}=${o.value}`).join(' ')}` : '';
    out.push(`${k}: ${s.label}  (${s.kind === 'run' ? 'run of ' : ''}pipeline ${s.pipeline}${over})`);
    if (s.note) out.push(`   note: ${s.note}`);
  }
  out.push('');
  if (d.same) {
    out.push('no semantic difference');
    return out.join('\n') + '\n';
  }
  if (d.nodes.added.length || d.nodes.removed.length) {
    out.push('declarations in the graph');
    for (const n of d.nodes.removed) out.push(`  - ${n.type} ${n.name}  (${n.id})`);
    for (const n of d.nodes.added) out.push(`  + ${n.type} ${n.name}  (${n.id})`);
    out.push('');
  }
  if (d.settings.length) {
    out.push('settings');
    let node = '';
    for (const c of d.settings) {
      if (c.node !== node) out.push(`  ${(node = c.node)}`);
      out.push(...settingLines(c));
    }
    out.push('');
  }
  for (const s of d.schedules) {
    out.push(`rollout budget of ${s.stage}`, ...budgetLines(s.a, s.b), `  ${curveLine(s.a, s.b, s.differing_steps)}`, '');
  }
  if (d.inputs?.length) {
    out.push('input files (by content)');
    const short = (h: string | null): string => (h ? `${h.slice(0, 12)}…` : 'none');
    for (const i of d.inputs) out.push(`  ${MARK[i.change]} ${i.path}  ${short(i.a)} → ${short(i.b)}`);
    out.push('');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

function settingLines(c: SettingChange): string[] {
  const val = (v: SideValue | undefined): string => v?.text ?? '(none)';
  const lines = [`    ${MARK[c.change]} ${c.name}: ${c.change === 'changed' ? `${val(c.a)} → ${val(c.b)}` : val(c.a ?? c.b)}`];
  if (c.a) lines.push(`        a: ${describeValueOrigin(c.a.origin)}`);
  if (c.b) lines.push(`        b: ${describeValueOrigin(c.b.origin)}`);
  return lines;
}

export function phaseCells(s: BudgetSummary | null): string[][] {
  if (!s) return [];
  return s.phases.map((p) => [`${p.name}-${p.cycle}`, p.role, `${p.start} → ${p.end}`, p.from === p.to ? `${p.from}` : `${p.from} → ${p.to}`, p.curve]);
}

/** The phases of both sides next to each other, one row per phase position. */
function budgetLines(a: BudgetSummary | null, b: BudgetSummary | null): string[] {
  const head = ['phase', 'role', 'steps', 'budget', 'curve'];
  const left = [head, ...phaseCells(a)];
  const right = [head, ...phaseCells(b)];
  const width = (rows: string[][], i: number): number => Math.max(...rows.map((r) => (r[i] ?? '').length));
  const fmt = (rows: string[][], r: number): string => head.map((_, i) => (rows[r]?.[i] ?? '').padEnd(width(rows, i))).join('  ');
  const title = (s: BudgetSummary | null, k: string): string => `${k}: ${s ? s.schedule ?? 'a fixed budget' : 'no such stage'}`;
  const leftWidth = fmt(left, 0).length;
  const lines = [`  ${title(a, 'a').padEnd(leftWidth)} | ${title(b, 'b')}`];
  for (let r = 0; r < Math.max(left.length, right.length); r++) lines.push(`  ${(r < left.length ? fmt(left, r) : '').padEnd(leftWidth)} | ${r < right.length ? fmt(right, r) : ''}`.trimEnd());
  return lines;
}

function curveLine(a: BudgetSummary | null, b: BudgetSummary | null, differing: number): string {
  if (!a || !b) return `the stage is only in ${a ? 'a' : 'b'}`;
  const pair = (x: number, y: number, unit = ''): string => (x === y ? `${x}${unit}` : `${x} → ${y}${unit}`);
  return `budget: differs at ${differing} of ${Math.max(a.steps, b.steps)} steps; mean ${pair(a.mean, b.mean, ' tokens')}; min ${pair(a.min, b.min)}; max ${pair(a.max, b.max)}; sum over the steps ${pair(a.tokens, b.tokens, ' tokens')}`;
}
