// Values after name resolution: what a declaration's settings mean before they are type-checked.
import type { Ident, Span, TemplatePart, Declaration } from '../ast/ast.js';
import type { Module } from './loader.js';

export interface Entry {
  key: Ident;
  value: Value;
}
/** Keys in source order (Map keeps insertion order). */
export type Entries = Map<string, Entry>;

export type Value =
  | { t: 'num'; span: Span; value: number; raw: string; integral: boolean; unit?: string; unitSpan?: Span }
  | { t: 'str'; span: Span; value: string; parts: TemplatePart[] }
  | { t: 'bool'; span: Span; value: boolean }
  /** A bare name that is not a declaration: an option such as `math_equal` or `off`. */
  | { t: 'sym'; span: Span; name: string }
  | { t: 'ref'; span: Span; target: Instance; field?: Ident }
  | { t: 'list'; span: Span; items: Value[] }
  | { t: 'record'; span: Span; entries: Entries }
  | { t: 'call'; span: Span; fn: Ident; args: CallArg[] }
  | { t: 'range'; span: Span; from: Value; to: Value }
  | { t: 'transition'; span: Span; from: Value; to: Value }
  /** A template parameter while checking the template itself: accepted by every type. */
  | { t: 'param'; span: Span; name: string }
  /** A value that already produced an error. */
  | { t: 'error'; span: Span };

export interface CallArg {
  name?: Ident;
  value: Value;
  span: Span;
}

/** A nested block (`phase ... { }`, `repeat N { }`) after resolution. */
export interface NestedValue {
  keyword: Ident;
  /** `phase compress`: the label is a name. */
  labelName?: Ident;
  /** `repeat 3` / `repeat cycles`: the label is a value. */
  labelValue?: Value;
  span: Span;
  entries: Entries;
  blocks: NestedValue[];
}

/**
 * A declaration as it will be used: its own settings, those it inherited through
 * `base with { ... }`, or the body of a template instantiated with arguments.
 */
export interface Instance {
  /** Stable id, also the IR node id: `train.rl`, `dataset.std/tasks.arithmetic`. */
  id: string;
  kind: string;
  name: string;
  module: Module;
  decl: Declaration;
  entries: Entries;
  blocks: NestedValue[];
  /** True while checking a template's body with opaque parameters. */
  template: boolean;
  /**
   * `node`: part of the pipeline, checked in full (set by the checker when a pipeline reaches it).
   * `base`: only copied into other declarations (`train rl = presets.dapo with { ... }`), or a
   * library file's preset, so it may leave required keys to them.
   */
  role: 'node' | 'base';
  /**
   * `kind x = base(...) with { ... }`: the span of `base(...)` and its name. Settings inherited from
   * another file are reported here, where the user can change them.
   */
  site?: { span: Span; name: string; files: ReadonlySet<string> };
  /** Its base could not be resolved (already reported): its other errors would only be echoes. */
  broken?: boolean;
  /** Set once elaborated; guards against `a = b with {}` / `b = a with {}` loops. */
  state: 'pending' | 'busy' | 'done';
}
