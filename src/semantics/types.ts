// A small vocabulary of setting types, and the decoder that checks a resolved Value against one
// and turns it into plain JSON with every default filled in. One table of key specs per block
// kind (schemas.ts) drives the checker, the defaults in the IR and the key tables in the docs.
import type { Span } from '../ast/ast.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import { didYouMean } from '../util/suggest.js';
import type { Entries, Instance, Value } from './values.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type Unit = 'steps' | 'tokens' | 'prompts' | 'responses' | 'rows';

export type Spec =
  | { k: 'int'; min?: number; max?: number; unit?: Unit }
  | { k: 'float'; min?: number; max?: number; minExclusive?: boolean }
  | { k: 'bool' }
  | { k: 'string'; nonEmpty?: boolean }
  | { k: 'template' }
  | { k: 'regex' }
  | { k: 'enum'; values: readonly string[] }
  | { k: 'ref'; kind: string; fields?: readonly string[] }
  | { k: 'list'; of: Spec; single?: boolean; min?: number }
  | { k: 'record'; keys: KeyTable }
  | { k: 'oneOf'; options: Spec[] }
  | { k: 'call'; fns: Record<string, FnSpec> }
  | { k: 'range'; of: Spec }
  | { k: 'transition'; of: Spec }
  | { k: 'custom'; expected: string; decode: (v: Value, cx: DecodeContext, where: string) => Json | undefined };

export interface KeySpec {
  spec: Spec;
  doc: string;
  required?: boolean;
  default?: Json;
}
export type KeyTable = Record<string, KeySpec>;

/** `table[key]` for a key the user wrote: own properties only, so `constructor` is no setting. */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export interface FnSpec {
  doc: string;
  /** Parameters in positional order; named arguments use the same names. */
  params: KeyTable;
}

/** What the decoder needs from its surroundings. */
export interface DecodeContext {
  diagnostics: Diagnostic[];
  /** Names of declarations of a kind visible where the value was written (for "did you mean"). */
  namesOfKind(kind: string): string[];
  /** Called for every reference that decodes as a reference: the pipeline needs its target. */
  onRef?(target: Instance): void;
}

/** A reference in decoded output: the IR node id, and a field such as a dataset split. */
export const refJson = (inst: Instance, field?: string): Json => (field ? { ref: inst.id, field } : { ref: inst.id });

// ---- describing values and types in messages ----

export function describeValue(v: Value): string {
  switch (v.t) {
    case 'num':
      return `the number \`${v.raw}${v.unit ? ` ${v.unit}` : ''}\``;
    case 'str':
      return 'a string';
    case 'bool':
      return `\`${v.value}\``;
    case 'sym':
      return `the name \`${v.name}\``;
    case 'ref':
      return `the ${v.target.kind} \`${v.target.name}\``;
    case 'list':
      return 'a list';
    case 'record':
      return 'a record';
    case 'call':
      return `a call to \`${v.fn.name}\``;
    case 'range':
      return 'a range';
    case 'transition':
      return 'a `from -> to` pair';
    case 'param':
      return `the parameter \`${v.name}\``;
    case 'error':
      return 'an invalid value';
  }
}

export function describeSpec(s: Spec): string {
  switch (s.k) {
    case 'int':
      return s.unit ? `a whole number of ${s.unit}` : 'a whole number';
    case 'float':
      return 'a number';
    case 'bool':
      return '`true` or `false`';
    case 'string':
    case 'template':
      return 'a string';
    case 'regex':
      return 'a regular expression in a string';
    case 'enum':
      return `one of ${s.values.map((v) => `\`${v}\``).join(', ')}`;
    case 'ref':
      return `the name of a \`${s.kind}\``;
    case 'list':
      if (s.of.k === 'ref') return `a list of \`${s.of.kind}\` names`;
      if (s.of.k === 'enum') return `a list of ${s.of.values.map((v) => `\`${v}\``).join(', ')}`;
      return `a list of ${describeSpec(s.of).replace(/^(a|an) /, '')}s`;
    case 'record':
      return 'a record `{ ... }`';
    case 'oneOf':
      return s.options.map(describeSpec).join(', or ');
    case 'call':
      return Object.keys(s.fns).map((f) => `\`${f}(...)\``).join(' or ');
    case 'range':
      return `${describeSpec(s.of)} or a range \`a..b\``;
    case 'transition':
      return '`from -> to`';
    case 'custom':
      return s.expected;
  }
}

/** Which value shapes a spec can accept, used to pick the branch of a `oneOf`. */
function accepts(s: Spec, v: Value): boolean {
  switch (s.k) {
    case 'int':
    case 'float':
      return v.t === 'num';
    case 'bool':
      return v.t === 'bool';
    case 'string':
    case 'template':
    case 'regex':
      return v.t === 'str';
    case 'enum':
      return (v.t === 'sym' && s.values.includes(v.name)) || (v.t === 'ref' && !v.field && s.values.includes(v.target.name));
    case 'ref':
      return v.t === 'ref' || v.t === 'sym';
    case 'list':
      return v.t === 'list' || (!!s.single && accepts(s.of, v));
    case 'record':
      return v.t === 'record';
    case 'oneOf':
      return s.options.some((o) => accepts(o, v));
    case 'call':
      return v.t === 'call';
    case 'range':
      return v.t === 'range' || accepts(s.of, v);
    case 'transition':
      return v.t === 'transition';
    case 'custom':
      return true;
  }
}

function err(cx: DecodeContext, code: Parameters<typeof diag>[0], span: Span, message: string, label: string, help?: string): undefined {
  cx.diagnostics.push(diag(code, span, message, help ? { label, help } : { label }));
  return undefined;
}

function wrongType(cx: DecodeContext, v: Value, s: Spec, where: string): undefined {
  let help: string | undefined;
  if (v.t === 'str' && (s.k === 'int' || s.k === 'float') && v.value.trim() !== '' && !Number.isNaN(Number(v.value.replace(/_/g, '').replace(/k$/, '')))) help = `remove the quotes: \`${where} = ${v.value}\``;
  else if (v.t === 'num' && (s.k === 'string' || s.k === 'template')) help = `put it in double quotes: \`${where} = "${v.raw}"\``;
  else if (v.t === 'sym' && s.k === 'bool' && ['on', 'off', 'yes', 'no'].includes(v.name)) help = `write \`${v.name === 'on' || v.name === 'yes'}\``;
  else if (v.t === 'sym' && (s.k === 'string' || s.k === 'template')) help = `put it in double quotes: \`${where} = "${v.name}"\``;
  else if (v.t === 'list' && s.k === 'ref') help = `\`${where}\` takes one ${s.kind}, not a list`;
  else if (s.k === 'list' && v.t !== 'list') help = `put it in a list: \`${where} = [...]\``;
  else if (s.k === 'oneOf' && v.t === 'sym') {
    const opts = s.options.flatMap((o) => (o.k === 'enum' ? o.values : []));
    help = didYouMean(v.name, opts) || undefined;
  }
  return err(cx, 'E0302', v.span, `\`${where}\` expects ${describeSpec(s)}, but this is ${describeValue(v)}`, `expected ${describeSpec(s)}`, help);
}

function checkRange(cx: DecodeContext, v: Value & { t: 'num' }, n: number, s: { min?: number; max?: number; minExclusive?: boolean }, where: string): boolean {
  const shown = v.raw === String(n) ? `\`${v.raw}\`` : `\`${v.raw}\` (${n})`;
  if (s.min !== undefined && (s.minExclusive ? n <= s.min : n < s.min)) {
    err(cx, 'E0304', v.span, `\`${where}\` must be ${s.minExclusive ? 'greater than' : 'at least'} ${s.min}, but it is ${shown}`, 'out of range', s.minExclusive ? `use a value above ${s.min}` : `use ${s.min} or more`);
    return false;
  }
  if (s.max !== undefined && n > s.max) {
    err(cx, 'E0304', v.span, `\`${where}\` must be at most ${s.max}, but it is ${shown}`, 'out of range', `use ${s.max} or less`);
    return false;
  }
  return true;
}

/** Check `v` against `s`; returns its JSON form, or undefined after reporting why not. */
export function decode(v: Value, s: Spec, cx: DecodeContext, where: string): Json | undefined {
  if (v.t === 'error' || v.t === 'param') return undefined;
  if (s.k === 'custom') return s.decode(v, cx, where);
  if (s.k === 'oneOf') {
    const opt = s.options.find((o) => accepts(o, v));
    return opt ? decode(v, opt, cx, where) : wrongType(cx, v, s, where);
  }
  switch (s.k) {
    case 'int':
    case 'float': {
      if (v.t !== 'num') return wrongType(cx, v, s, where);
      if (s.k === 'int' && !Number.isInteger(v.value)) return err(cx, 'E0302', v.span, `\`${where}\` must be a whole number, but it is \`${v.raw}\``, 'not a whole number', `use \`${Math.round(v.value)}\``);
      const unit = s.k === 'int' ? s.unit : undefined;
      if (v.unit && v.unit !== unit) {
        return err(cx, 'E0303', v.unitSpan ?? v.span, unit ? `\`${where}\` is counted in ${unit}, not ${v.unit}` : `\`${where}\` takes no unit`, unit ? `expected ${unit}` : 'remove this unit', unit ? `write \`${where} = ${v.raw} ${unit}\`` : `write \`${where} = ${v.raw}\``);
      }
      return checkRange(cx, v, v.value, s, where) ? v.value : undefined;
    }
    case 'bool':
      return v.t === 'bool' ? v.value : wrongType(cx, v, s, where);
    case 'string':
      if (v.t !== 'str') return wrongType(cx, v, s, where);
      if (s.nonEmpty && v.value === '') return err(cx, 'E0304', v.span, `\`${where}\` must not be empty`, 'empty string');
      return v.value;
    case 'template': {
      if (v.t !== 'str') return wrongType(cx, v, s, where);
      return { text: v.value, fields: [...new Set(v.parts.flatMap((p) => ('field' in p ? [p.field] : [])))] };
    }
    case 'regex': {
      if (v.t !== 'str') return wrongType(cx, v, s, where);
      try {
        new RegExp(v.value);
      } catch (e) {
        return err(cx, 'E0304', v.span, `\`${where}\` is not a valid regular expression`, (e as Error).message.replace(/^Invalid regular expression: /, ''), 'backslashes must be doubled inside a string: `"\\\\d+"`');
      }
      return v.value;
    }
    case 'enum': {
      const name = v.t === 'sym' ? v.name : v.t === 'ref' && !v.field ? v.target.name : v.t === 'str' ? v.value : undefined;
      if (name !== undefined && s.values.includes(name)) {
        if (v.t === 'str') return err(cx, 'E0302', v.span, `\`${where}\` takes a name, not a string`, 'remove the quotes', `write \`${where} = ${name}\``);
        return name;
      }
      if (v.t === 'sym' || v.t === 'str') {
        return err(cx, 'E0306', v.span, `\`${name}\` is not a valid \`${where}\``, `expected one of: ${s.values.join(', ')}`, didYouMean(name!, s.values) || `write e.g. \`${where.split('.').pop()} = ${s.values[0]}\``);
      }
      return wrongType(cx, v, s, where);
    }
    case 'ref': {
      if (v.t === 'sym') {
        const names = cx.namesOfKind(s.kind);
        return err(cx, 'E0202', v.span, `cannot find a ${s.kind} named \`${v.name}\``, `no ${s.kind} with this name`, didYouMean(v.name, names) || (names.length ? `the ${s.kind}s declared here are: ${names.join(', ')}` : `declare it: \`${s.kind} ${v.name} { ... }\``));
      }
      if (v.t !== 'ref') return wrongType(cx, v, s, where);
      if (v.target.kind !== s.kind) {
        return err(cx, 'E0205', v.span, `\`${where}\` expects a ${s.kind}, but \`${v.target.name}\` is a ${v.target.kind}`, `a ${v.target.kind}, not a ${s.kind}`, didYouMean(v.target.name, cx.namesOfKind(s.kind)) || (cx.namesOfKind(s.kind).length ? `the ${s.kind}s declared here are: ${cx.namesOfKind(s.kind).join(', ')}` : `declare a ${s.kind}: \`${s.kind} NAME { ... }\``));
      }
      if (v.field) {
        if (!s.fields?.includes(v.field.name)) {
          return err(cx, 'E0202', v.field.span, `a ${s.kind} has no part \`${v.field.name}\` here`, 'unknown part', s.fields?.length ? didYouMean(v.field.name, s.fields) || `use one of: ${s.fields.join(', ')}` : `write just \`${v.target.name}\``);
        }
        cx.onRef?.(v.target);
        return refJson(v.target, v.field.name);
      }
      cx.onRef?.(v.target);
      return refJson(v.target);
    }
    case 'list': {
      const items = v.t === 'list' ? v.items : s.single && accepts(s.of, v) ? [v] : undefined;
      if (!items) return wrongType(cx, v, s, where);
      if (s.min !== undefined && items.length < s.min) return err(cx, 'E0304', v.span, `\`${where}\` needs at least ${s.min} element${s.min === 1 ? '' : 's'}`, 'too few elements');
      const out = items.map((x) => decode(x, s.of, cx, where));
      return out.every((x) => x !== undefined) ? (out as Json[]) : undefined;
    }
    case 'record':
      if (v.t !== 'record') return wrongType(cx, v, s, where);
      return decodeEntries(v.entries, s.keys, cx, { span: v.span, what: `\`${where}\``, path: where });
    case 'call': {
      if (v.t !== 'call') return wrongType(cx, v, s, where);
      const fn = own(s.fns, v.fn.name);
      if (!fn) {
        const names = Object.keys(s.fns);
        return err(cx, 'E0210', v.fn.span, `\`${where}\` has no function \`${v.fn.name}\``, `expected ${names.map((n) => `\`${n}\``).join(' or ')}`, didYouMean(v.fn.name, names) || `use one of: ${names.map((n) => `${n}(...)`).join(', ')}`);
      }
      return decodeCall(v, v.fn.name, fn, cx, where);
    }
    case 'range': {
      if (v.t === 'range') {
        const a = decode(v.from, s.of, cx, where);
        const b = decode(v.to, s.of, cx, where);
        if (typeof a === 'number' && typeof b === 'number' && a > b) return err(cx, 'E0304', v.span, `the range \`${where}\` goes down from ${a} to ${b}`, 'empty range', `write \`${b}..${a}\``);
        return a === undefined || b === undefined ? undefined : { from: a, to: b };
      }
      const x = decode(v, s.of, cx, where);
      return x === undefined ? undefined : { from: x, to: x };
    }
    case 'transition': {
      if (v.t !== 'transition') return wrongType(cx, v, s, where);
      const a = decode(v.from, s.of, cx, where);
      const b = decode(v.to, s.of, cx, where);
      return a === undefined || b === undefined ? undefined : { from: a, to: b };
    }
  }
}

/** Positional and named arguments of a built-in call, checked against its parameter table. */
export function decodeCall(v: Value & { t: 'call' }, name: string, fn: FnSpec, cx: DecodeContext, where: string): Json | undefined {
  const names = Object.keys(fn.params);
  const only = names.length === 1 ? fn.params[names[0]!]! : undefined;
  if (only?.spec.k === 'transition' && v.args.length === 2 && !v.args.some((a) => a.name)) {
    // `cosine(16k, 8k)`: the two endpoints were meant.
    const [a, b] = v.args.map((x) => (x.value.t === 'num' ? x.value.raw : '...'));
    return err(cx, 'E0302', v.span, `\`${name}\` takes one \`from -> to\` pair, not two arguments`, 'endpoints separated by a comma', `write \`${name}(${a} -> ${b})\``);
  }
  const entries: Entries = new Map();
  let pos = 0;
  let ok = true;
  for (const a of v.args) {
    const key = a.name ? a.name.name : names[pos++];
    if (key === undefined) {
      err(cx, 'E0211', a.span, `\`${name}\` takes at most ${names.length} argument${names.length === 1 ? '' : 's'}`, 'one too many', `its parameters are: ${names.join(', ')}`);
      ok = false;
      continue;
    }
    const keyIdent = a.name ?? { name: key, span: a.span };
    if (entries.has(key)) {
      err(cx, 'E0211', a.span, `the argument \`${key}\` of \`${name}\` is given twice`, 'given again here', 'keep one of them');
      ok = false;
      continue;
    }
    entries.set(key, { key: keyIdent, value: a.value });
  }
  // A positional argument is named as the user wrote it (`cosine(...)`), not by its parameter.
  const positional = new Set(v.args.filter((a) => !a.name).map((_, i) => names[i]));
  const pathOf = (k: string): string => (!positional.has(k) ? `${where}.${k}` : only ? `${name}(...)` : `${name}(${k} = ...)`);
  const out = decodeEntries(entries, fn.params, cx, { span: v.span, what: `\`${name}(...)\``, path: where, pathOf, isCall: true });
  if (!ok || out === undefined) return undefined;
  return { fn: name, ...(out as Record<string, Json>) };
}

export interface Owner {
  span: Span;
  /** How to name the owner in a message: "the train `rl`", "`clip`". */
  what: string;
  /** Key path prefix for nested keys (`clip.low`). */
  path?: string;
  /** How to name a key in messages, when not `path.key`. */
  pathOf?: (key: string) => string;
  isCall?: boolean;
  /** A preset used only as a base: required keys may be left to the declarations derived from it. */
  partial?: boolean;
}

/** Check a block's or record's keys against a table: unknown keys, required keys, defaults. */
export function decodeEntries(entries: Entries, table: KeyTable, cx: DecodeContext, owner: Owner): Record<string, Json> | undefined {
  const out: Record<string, Json> = {};
  let ok = true;
  for (const [k, e] of entries) {
    const ks = own(table, k);
    if (!ks) {
      const hint = didYouMean(k, Object.keys(table));
      cx.diagnostics.push(
        diag('E0301', e.key.span, owner.isCall ? `${owner.what} has no parameter \`${k}\`` : `${owner.what} has no setting \`${k}\``, {
          label: owner.isCall ? 'unknown parameter' : 'unknown key',
          help: hint || `the ${owner.isCall ? 'parameters' : 'keys'} it accepts are: ${Object.keys(table).join(', ')}`,
        }),
      );
      ok = false;
      continue;
    }
    const path = owner.pathOf?.(k) ?? (owner.path ? `${owner.path}.${k}` : k);
    const d = decode(e.value, ks.spec, cx, path);
    if (d === undefined) ok = false;
    else out[k] = d;
  }
  for (const [k, ks] of Object.entries(table)) {
    if (entries.has(k)) continue;
    if (ks.required && !owner.partial) {
      cx.diagnostics.push(diag('E0305', owner.span, `${owner.what} is missing \`${k}\``, { label: `needs \`${k}\``, help: `add \`${k} = ...\`: ${ks.doc}` }));
      ok = false;
    } else if (ks.default !== undefined) out[k] = ks.default;
  }
  return ok ? sortKeys(out) : undefined;
}

/** Keys sorted so that the IR is byte-identical whatever order the source used. */
export function sortKeys<T extends Record<string, Json>>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}
