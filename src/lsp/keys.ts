// Which keys a block takes and what each one means, read from the key tables the checker uses
// (src/semantics/schemas.ts): a `train` block's keys depend on its algorithm, a record's on its
// key, a call's on its function.
import type * as A from '../ast/ast.js';
import * as S from '../semantics/schemas.js';
import { TASKS } from '../semantics/tasks.js';
import { describeSpec, own, type FnSpec, type KeySpec, type KeyTable, type Spec } from '../semantics/types.js';
import { showDefault } from '../tools/gen-docs.js';
import type { Frame } from './locate.js';

/** The discriminating key of a declaration kind whose keys depend on it. */
export const VARIANT_KEY: Record<string, { key: string; common: KeyTable; variants: Record<string, KeyTable> }> = {
  train: { key: 'algorithm', common: S.TRAIN_COMMON, variants: S.TRAIN_VARIANTS },
  reward: { key: 'kind', common: S.REWARD_COMMON, variants: S.REWARD_VARIANTS },
};

const PLAIN: Record<string, KeyTable> = { pipeline: S.PIPELINE_KEYS, model: S.MODEL_KEYS, dataset: S.DATASET_KEYS, eval: S.EVAL_KEYS, schedule: {} };

/** A declaration kind's keys; for `train` and `reward`, those of `variant`, or of every variant when it is unknown. */
export function declTable(kind: string, variant: string | undefined): KeyTable | undefined {
  const v = own(VARIANT_KEY, kind);
  if (!v) return own(PLAIN, kind);
  const chosen = variant !== undefined ? own(v.variants, variant) : undefined;
  return chosen ? { ...v.common, ...chosen } : (Object.assign({}, v.common, ...Object.values(v.variants)) as KeyTable);
}

/** The function `name` among the calls a spec accepts (`cosine` of a phase's `max_tokens`). */
export function fnOf(spec: Spec | undefined, name: string): FnSpec | undefined {
  if (!spec) return undefined;
  if (spec.k === 'call') return own(spec.fns, name);
  if (spec.k === 'oneOf') return spec.options.map((o) => fnOf(o, name)).find(Boolean);
  if (spec === S.DATASET_KEYS['source']!.spec) return own(S.DATASET_SOURCE_FNS, name);
  return undefined;
}

/** The functions a spec accepts, by name. */
export function fnsOf(spec: Spec | undefined): Record<string, FnSpec> {
  if (!spec) return {};
  if (spec.k === 'call') return spec.fns;
  if (spec.k === 'oneOf') return Object.assign({}, ...spec.options.map(fnsOf)) as Record<string, FnSpec>;
  if (spec === S.DATASET_KEYS['source']!.spec) return S.DATASET_SOURCE_FNS;
  return {};
}

/** The keys of the record a spec accepts (`checkpoint = { ... }`, `kl = { coef, estimator }`). */
export function recordOf(spec: Spec | undefined): KeyTable | undefined {
  if (!spec) return undefined;
  if (spec.k === 'record') return spec.keys;
  if (spec.k === 'oneOf') return spec.options.map(recordOf).find(Boolean);
  return undefined;
}

/** The key table in force inside the innermost frame (undefined: not a table of keys, e.g. a template call). */
export function tableAt(frames: readonly Frame[], variantOf: (decl: A.Declaration) => string | undefined): KeyTable | undefined {
  let table: KeyTable | undefined;
  for (const f of frames) {
    if (f.t === 'decl') table = declTable(f.decl.declKind.name, variantOf(f.decl));
    else if (f.t === 'nested') table = f.block.keyword.name === 'phase' ? S.PHASE_KEYS : {};
    else if (f.t === 'record') table = recordOf(table && own(table, f.key)?.spec);
    else if (f.key === undefined) table = undefined;
    else table = callTable(f.call, table && own(table, f.key)?.spec);
  }
  return table;
}

function callTable(call: A.CallExpr, spec: Spec | undefined): KeyTable | undefined {
  const name = call.callee.path.map((p) => p.name).join('.');
  if (name === 'generated') {
    const first = call.args[0]?.value;
    return first?.kind === 'string' ? own(TASKS, first.value)?.params : undefined;
  }
  return fnOf(spec, name)?.params;
}

/** The unit a key's numbers are in, when it has one. */
export function unitOf(spec: Spec | undefined): string | undefined {
  if (!spec) return undefined;
  if (spec.k === 'int') return spec.unit;
  if (spec.k === 'oneOf') return spec.options.map(unitOf).find(Boolean);
  if (spec.k === 'call') return Object.values(spec.fns).flatMap((f) => Object.values(f.params).map((p) => unitOf(p.spec))).find(Boolean);
  if (spec.k === 'transition' || spec.k === 'range' || spec.k === 'list') return unitOf(spec.of);
  return undefined;
}

/** `> 0`, `0 … 1`, `≥ 1`: the numbers a key accepts. */
export function rangeOf(spec: Spec | undefined): string | undefined {
  if (!spec) return undefined;
  if (spec.k === 'int' || spec.k === 'float') {
    const lo = spec.min === undefined ? undefined : `${spec.k === 'float' && spec.minExclusive ? '>' : '≥'} ${spec.min}`;
    const hi = spec.max === undefined ? undefined : `≤ ${spec.max}`;
    return lo && hi ? `${lo}, ${hi}` : lo ?? hi;
  }
  if (spec.k === 'oneOf') return spec.options.map(rangeOf).find(Boolean);
  return undefined;
}

/** A key's documentation as Markdown: what it means, its type, unit, default and range. */
export function keyMarkdown(name: string, ks: KeySpec, owner: string): string {
  const facts = [`type: ${describeSpec(ks.spec)}`];
  const unit = unitOf(ks.spec);
  if (unit) facts.push(`unit: ${unit}`);
  facts.push(ks.required ? 'required' : `default: ${showDefault(ks.default) || 'none'}`);
  const range = rangeOf(ks.spec);
  if (range) facts.push(`range: ${range}`);
  return [`**${name}** (${owner})`, '', ks.doc, '', facts.join(' · ')].join('\n');
}
