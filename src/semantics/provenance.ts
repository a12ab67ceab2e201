// Where each resolved setting comes from: the user's file, a `with { }` override, a preset or
// template in another file (std/ or an imported library), a `--set` override, or the key table's
// default. Derived from the elaborated entries, whose keys and values keep the spans they were
// written at, so the elaborator needs no bookkeeping of its own.
import type * as A from '../ast/ast.js';
import type { Program } from './loader.js';
import { own, type KeyTable, type Spec } from './types.js';
import type { Entries, Instance, Value } from './values.js';

export type OriginKind = 'file' | 'with' | 'preset' | 'set' | 'default';

export interface Origin {
  kind: OriginKind;
  /** Where the value is written (display path, 1-based line and column); absent for a default. */
  file?: string;
  line?: number;
  col?: number;
  /** `preset`: the declaration that holds the value (`train dapo`); `with`: the base it overrides. */
  name?: string;
  /** `set`: the override as given on the command line. */
  text?: string;
}

/**
 * The origin of the setting at `path` (`['lr']`, `['clip', 'high']`, `['source', 'layers']`) of an
 * instance. A key nobody wrote is a default, also when its parent was written as a single value
 * (`kl = 0.001` leaves `kl.estimator` to its default). `fnParams` names the positional parameters
 * of a call (`scratch(2, 64)`), by function name.
 */
export function originOf(program: Program, inst: Instance, path: readonly string[], fnParams: (fn: string) => readonly string[] = () => []): Origin {
  let entries: Entries | undefined = inst.entries;
  let value: Value | undefined;
  let key: A.Ident | undefined;
  for (const name of path) {
    if (!entries) return { kind: 'default' };
    const e = entries.get(name);
    if (!e) return { kind: 'default' };
    key = e.key;
    value = e.value;
    entries = value.t === 'record' ? value.entries : value.t === 'call' ? callEntries(value, fnParams(value.fn.name)) : undefined;
  }
  if (!value || !key) return { kind: 'default' };
  return originAt(program, inst, key, value);
}

function callEntries(v: Value & { t: 'call' }, params: readonly string[]): Entries {
  const out: Entries = new Map();
  let pos = 0;
  for (const a of v.args) {
    const name = a.name?.name ?? params[pos++];
    if (name !== undefined) out.set(name, { key: a.name ?? { name, span: a.span }, value: a.value });
  }
  return out;
}

function originAt(program: Program, inst: Instance, key: A.Ident, value: Value): Origin {
  const span = value.span;
  const at = { file: span.file, line: span.start.line, col: span.start.column };
  if (span.file.startsWith('--set')) return { kind: 'set', text: program.texts.get(span.file) ?? span.file };
  if (span.file === program.entry.display) {
    const over = withOverrideOf(inst.decl);
    if (over && inst.module === program.entry && contains(over.span, key.span)) return { kind: 'with', ...at, name: baseName(over.base) };
    return { kind: 'file', ...at };
  }
  const mod = program.modules.find((m) => m.display === span.file);
  const holder = mod?.file.items.find((i): i is A.Declaration => i.kind === 'declaration' && contains(i.span, span));
  return holder ? { kind: 'preset', ...at, name: `${holder.declKind.name} ${holder.name.name}` } : { kind: 'preset', ...at };
}

/** The outermost `with { }` of `kind x = base with { ... }`: its record and its base. */
function withOverrideOf(d: A.Declaration): { span: A.Span; base: A.Expr } | undefined {
  const v = d.value;
  return v?.kind === 'with' ? { span: v.override.span, base: v.base } : undefined;
}

function baseName(e: A.Expr): string | undefined {
  while (e.kind === 'with') e = e.base;
  const r = e.kind === 'call' ? e.callee : e.kind === 'ref' ? e : undefined;
  return r?.path.map((p) => p.name).join('.');
}

function contains(outer: A.Span, inner: A.Span): boolean {
  return outer.file === inner.file && outer.start.offset <= inner.start.offset && inner.end.offset <= outer.end.offset;
}

/** How an origin reads in a terminal: `siri.siri:20 (with)`, `std/presets.siri:12 (train dapo)`, `--set rl.lr=2e-6`, `default`. */
export function describeOrigin(o: Origin): string {
  switch (o.kind) {
    case 'default':
      return 'default';
    case 'set':
      return `--set ${o.text}`;
    case 'with':
      return `${o.file}:${o.line} (with${o.name ? `, over ${o.name}` : ''})`;
    case 'preset':
      return `${o.file}:${o.line}${o.name ? ` (${o.name})` : ''}`;
    case 'file':
      return `${o.file}:${o.line}`;
  }
}

/** The spec of the setting at `path` in a key table, following records and calls; undefined when unknown. */
export function specAt(table: KeyTable, path: readonly string[]): Spec | undefined {
  let t: KeyTable | undefined = table;
  let spec: Spec | undefined;
  for (const name of path) {
    if (!t) return undefined;
    spec = own(t, name)?.spec;
    if (!spec) return undefined;
    t = tableOf(spec);
  }
  return spec;
}

/** The keys a spec holds one level down: a record's keys, or every parameter of its calls. */
function tableOf(s: Spec): KeyTable | undefined {
  if (s.k === 'record') return s.keys;
  if (s.k === 'call') return Object.assign({}, ...Object.values(s.fns).map((f) => f.params)) as KeyTable;
  if (s.k === 'oneOf') {
    const tables = s.options.map(tableOf).filter((x): x is KeyTable => !!x);
    return tables.length ? (Object.assign({}, ...tables) as KeyTable) : undefined;
  }
  return undefined;
}
