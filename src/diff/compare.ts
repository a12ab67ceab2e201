// The semantic difference of two compiled pipelines, at the level of the graph: nodes added or
// removed, fields changed (named as settings, with resolved values, units and where each side's
// value comes from), each stage's rollout budget side by side, and a run's input files by content.
// Text, formatting and comments are not in the graph, so they never show.
import type { IR, IRNode, IRTrain } from '../ir/graph.js';
import { canonicalJson } from '../ir/lower.js';
import { originOf, specAt, type Origin } from '../semantics/provenance.js';
import type { Json, Spec } from '../semantics/types.js';
import { fnParams, keyTableOf, settingOf, type SettingRef } from './settings-map.js';
import type { Side } from './side.js';

export const DIFF_FORMAT = 1;

/** `derived`: computed by the compiler from other settings; `unknown`: a run whose sources changed. */
export type ValueOrigin = Origin | { kind: 'derived' } | { kind: 'unknown' };

export interface SideValue {
  value: Json;
  /** The resolved value as shown: `16384 tokens (16k)`. */
  text: string;
  origin: ValueOrigin;
}

export interface SettingChange {
  /** Graph node id, or `pipeline`. */
  node: string;
  /** The setting's name (`clip.high`), or the graph field when no single setting holds it. */
  name: string;
  /** The field in the graph (`loss.clip_high`). */
  field: string;
  change: 'changed' | 'added' | 'removed';
  a?: SideValue;
  b?: SideValue;
}

export interface PhaseRow {
  name: string;
  cycle: number;
  role: string;
  /** Global steps: first, and one past the last. */
  start: number;
  end: number;
  from: number;
  to: number;
  curve: string;
}

export interface BudgetSummary {
  schedule: string | null;
  steps: number;
  phases: PhaseRow[];
  min: number;
  max: number;
  mean: number;
  /** The sum of the budget over the steps: the most tokens one response per step may use. */
  tokens: number;
}

export interface ScheduleChange {
  stage: string;
  a: BudgetSummary | null;
  b: BudgetSummary | null;
  /** Stage steps (counted from the stage's start) at which the budgets differ, a missing step counting. */
  differing_steps: number;
}

export interface NodeRef {
  id: string;
  type: string;
  name: string;
}

export interface InputChange {
  path: string;
  change: 'changed' | 'added' | 'removed';
  a: string | null;
  b: string | null;
}

export interface SideInfo {
  label: string;
  kind: Side['kind'];
  pipeline: string;
  file: string;
  overrides: IR['overrides'];
  note?: string;
}

export interface Diff {
  siric_diff: typeof DIFF_FORMAT;
  same: boolean;
  a: SideInfo;
  b: SideInfo;
  nodes: { added: NodeRef[]; removed: NodeRef[] };
  settings: SettingChange[];
  schedules: ScheduleChange[];
  /** Only when both sides are runs (the compiler does not hash data files). */
  inputs: InputChange[] | null;
}

type Obj = Record<string, Json>;
export type AnyNode = IRNode | ({ type: 'pipeline' } & IR['pipeline']);

export function diffSides(a: Side, b: Side): Diff {
  const nodesA = nodeMap(a.ir);
  const nodesB = nodeMap(b.ir);
  const ref = (n: AnyNode): NodeRef => ({ id: n.type === 'pipeline' ? 'pipeline' : n.id, type: n.type, name: n.name });
  const added = [...nodesB.values()].filter((n) => !nodesA.has(ref(n).id)).map(ref);
  const removed = [...nodesA.values()].filter((n) => !nodesB.has(ref(n).id)).map(ref);
  const settings: SettingChange[] = [];
  for (const [id, na] of nodesA) {
    const nb = nodesB.get(id);
    if (nb && na.type !== 'schedule') settings.push(...nodeChanges(id, na, nb, a, b));
  }
  if (a.ir.total_steps !== b.ir.total_steps) {
    const v = (n: number): SideValue => ({ value: n, text: `${n} steps`, origin: { kind: 'derived' } });
    settings.push({ node: 'pipeline', name: 'total_steps', field: 'total_steps', change: 'changed', a: v(a.ir.total_steps), b: v(b.ir.total_steps) });
  }
  const schedules = scheduleChanges(a.ir, b.ir);
  const inputs = a.inputs && b.inputs ? inputChanges(a.inputs, b.inputs) : null;
  const found = added.length + removed.length + settings.length + schedules.length + (inputs?.length ?? 0) > 0;
  if (!found && canonicalJson(semantic(a.ir)) !== canonicalJson(semantic(b.ir))) {
    // A difference this diff does not know how to name must still show, never pass as "same".
    const v = (ir: IR): SideValue => ({ value: semantic(ir) as unknown as Json, text: 'see `siric compile`', origin: { kind: 'derived' } });
    settings.push({ node: 'graph', name: '(graph)', field: '', change: 'changed', a: v(a.ir), b: v(b.ir) });
  }
  return {
    siric_diff: DIFF_FORMAT,
    same: !found && settings.length === 0,
    a: info(a),
    b: info(b),
    nodes: { added, removed },
    settings,
    schedules,
    inputs,
  };
}

function info(s: Side): SideInfo {
  const i: SideInfo = { label: s.label, kind: s.kind, pipeline: s.ir.pipeline.name, file: s.ir.pipeline.file, overrides: s.ir.overrides };
  if (s.note) i.note = s.note;
  return i;
}

/** The graph without what text, file names and compiler versions change: what the run depends on. */
function semantic(ir: IR): object {
  const { compiler: _c, sources: _s, source_hash: _h, overrides: _o, ...rest } = ir;
  const { file: _f, id: _i, ...pipeline } = rest.pipeline;
  return { ...rest, pipeline };
}

export function nodeMap(ir: IR): Map<string, AnyNode> {
  const m = new Map<string, AnyNode>();
  m.set('pipeline', { type: 'pipeline', ...ir.pipeline });
  for (const n of ir.nodes) m.set(n.id, n);
  return m;
}

/** Leaves of a node: nested objects are walked, lists compared whole. The budget is the schedule section's. */
export function leaves(n: AnyNode): Map<string, Json> {
  const out = new Map<string, Json>();
  const walk = (v: Json, at: string[]): void => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const k of Object.keys(v).sort()) walk((v as Obj)[k]!, [...at, k]);
    } else out.set(at.join('.'), v);
  };
  const { type: _t, ...fields } = n as unknown as Obj;
  for (const skip of ['id', 'budget', 'file']) delete fields[skip];
  walk(fields, []);
  return out;
}

function nodeChanges(id: string, na: AnyNode, nb: AnyNode, a: Side, b: Side): SettingChange[] {
  const la = leaves(na);
  const lb = leaves(nb);
  const out: SettingChange[] = [];
  for (const field of [...new Set([...la.keys(), ...lb.keys()])].sort()) {
    const va = la.get(field);
    const vb = lb.get(field);
    if (va !== undefined && vb !== undefined && canonicalJson(va) === canonicalJson(vb)) continue;
    const { setting, name } = fieldSetting(na, field);
    const change: SettingChange = { node: id, name, field, change: va === undefined ? 'added' : vb === undefined ? 'removed' : 'changed' };
    if (va !== undefined) change.a = sideValue(a, id, na, field, va, setting?.path);
    if (vb !== undefined) change.b = sideValue(b, id, nb, field, vb, setting?.path);
    out.push(change);
  }
  return out;
}

/** The setting a graph field holds, and the name it shows under: the setting's, when the field is exactly it. */
export function fieldSetting(node: AnyNode, field: string): { setting: SettingRef | undefined; name: string } {
  const setting = settingOf(node.type, field.split('.'), keyTableOf(node));
  return { setting, name: setting?.exact ? setting.path.join('.') : field };
}

export function sideValue(side: Side, id: string, node: AnyNode, field: string, value: Json, setting: string[] | undefined): SideValue {
  const spec = setting ? specAt(keyTableOf(node), setting) : undefined;
  return { value, text: formatValue(value, spec, field), origin: setting ? originIn(side, id, setting) : { kind: 'derived' } };
}

function originIn(side: Side, id: string, setting: string[]): ValueOrigin {
  if (!side.compiled) return { kind: 'unknown' };
  const { program, result } = side.compiled;
  const checked = id === 'pipeline' ? result.pipeline : result.checked.get(id);
  return checked ? originOf(program, checked.inst, setting, fnParams) : { kind: 'unknown' };
}

/** The integer unit a spec counts in (`tokens`), looking into `oneOf` options. */
function unitOf(s: Spec | undefined): string | undefined {
  if (!s) return undefined;
  if (s.k === 'int') return s.unit;
  if (s.k === 'oneOf') for (const o of s.options) if (unitOf(o)) return unitOf(o);
  if (s.k === 'range') return unitOf(s.of);
  return undefined;
}

export function tokensText(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n} tokens (${n / 1024}k)` : `${n} tokens`;
}

/** A resolved value as a person reads it: units, `off` for a switched-off setting, names of checkpoints and steps of evals. */
export function formatValue(v: Json, spec: Spec | undefined, field = ''): string {
  const unit = unitOf(spec);
  if (typeof v === 'number') return unit === 'tokens' ? tokensText(v) : unit ? `${v} ${unit}` : String(v);
  if (v === null) return 'off';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? (field === 'points' ? String((x as Obj)['step']) : String((x as Obj)['name'] ?? JSON.stringify(x))) : typeof x === 'string' ? x : formatValue(x, spec)));
    return items.length > 8 ? `[${items.slice(0, 6).join(', ')}, … ${items.at(-1)}] (${items.length})` : `[${items.join(', ')}]`;
  }
  if (typeof v === 'object') {
    const o = v as Obj;
    if ('from' in o && 'to' in o) return `${formatValue(o['from']!, spec)}..${formatValue(o['to']!, spec)}`;
    return JSON.stringify(v);
  }
  return String(v);
}

export function summary(t: IRTrain): BudgetSummary {
  const by = t.budget.by_step;
  const tokens = by.reduce((s, x) => s + x, 0);
  return {
    schedule: t.budget.schedule,
    steps: t.steps,
    phases: t.budget.phases.map((p) => ({ name: p.name, cycle: p.cycle, role: p.role, start: t.start_step + p.start, end: t.start_step + p.end, from: p.curve.from, to: p.curve.to, curve: p.curve.kind })),
    min: by.reduce((m, x) => Math.min(m, x), Infinity),
    max: by.reduce((m, x) => Math.max(m, x), 0),
    mean: Math.round((tokens / Math.max(1, by.length)) * 10) / 10,
    tokens,
  };
}

function scheduleChanges(a: IR, b: IR): ScheduleChange[] {
  const trains = (ir: IR): Map<string, IRTrain> => new Map(ir.nodes.filter((n): n is IRTrain => n.type === 'train').map((t) => [t.id, t]));
  const ta = trains(a);
  const tb = trains(b);
  const out: ScheduleChange[] = [];
  for (const id of [...new Set([...ta.keys(), ...tb.keys()])]) {
    const x = ta.get(id);
    const y = tb.get(id);
    const sx = x && summary(x);
    const sy = y && summary(y);
    if (sx && sy && canonicalJson(sx) === canonicalJson(sy) && canonicalJson(x.budget) === canonicalJson(y.budget)) continue;
    const bx = x?.budget.by_step ?? [];
    const by = y?.budget.by_step ?? [];
    let differing = 0;
    for (let k = 0; k < Math.max(bx.length, by.length); k++) if (bx[k] !== by[k]) differing++;
    out.push({ stage: id, a: sx ?? null, b: sy ?? null, differing_steps: differing });
  }
  return out;
}

function inputChanges(a: NonNullable<Side['inputs']>, b: NonNullable<Side['inputs']>): InputChange[] {
  const out: InputChange[] = [];
  for (const p of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[p]?.sha256 ?? null;
    const y = b[p]?.sha256 ?? null;
    if (x === y) continue;
    out.push({ path: p, change: x === null ? 'added' : y === null ? 'removed' : 'changed', a: x, b: y });
  }
  return out;
}
