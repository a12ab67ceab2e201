// The typed syntax tree. Every node carries the exact source span it came from, so a diagnostic
// can underline precisely the property that is wrong.

/** A position in a source file: 0-based offset, 1-based line and column. */
export interface Pos {
  offset: number;
  line: number;
  column: number;
}

/** A half-open range [start, end) within one file. */
export interface Span {
  file: string;
  start: Pos;
  end: Pos;
}

export interface Ident {
  name: string;
  span: Span;
}

export type Expr =
  | NumberExpr
  | StringExpr
  | BoolExpr
  | RefExpr
  | CallExpr
  | ListExpr
  | RecordExpr
  | WithExpr
  | RangeExpr
  | TransitionExpr
  | ErrorExpr;

export interface NumberExpr {
  kind: 'number';
  span: Span;
  /** The text as written, e.g. `8k`, `1_000`, `1e-6`. */
  raw: string;
  /** The resolved value, e.g. 8192 for `8k`. */
  value: number;
  /** Written without a fraction or exponent (a suffix may still make it large). */
  integral: boolean;
  /** Canonical unit name (`steps`, `tokens`, ...) when one was written. */
  unit?: Ident & { canonical: string };
}

/** A piece of a string: literal text, or a `{field}` placeholder. */
export type TemplatePart = { text: string } | { field: string; span: Span };

export interface StringExpr {
  kind: 'string';
  span: Span;
  raw: string;
  value: string;
  parts: TemplatePart[];
}

export interface BoolExpr {
  kind: 'bool';
  span: Span;
  value: boolean;
}

/** `name` or `ns.name` or `name.field`. */
export interface RefExpr {
  kind: 'ref';
  span: Span;
  path: Ident[];
}

export interface Arg {
  name?: Ident;
  value: Expr;
  span: Span;
}

export interface CallExpr {
  kind: 'call';
  span: Span;
  callee: RefExpr;
  args: Arg[];
}

export interface ListExpr {
  kind: 'list';
  span: Span;
  elements: Expr[];
}

export interface RecordExpr {
  kind: 'record';
  span: Span;
  entries: Attribute[];
}

/** `base with { overrides }` */
export interface WithExpr {
  kind: 'with';
  span: Span;
  base: Expr;
  override: RecordExpr;
}

/** `2..4` */
export interface RangeExpr {
  kind: 'range';
  span: Span;
  from: Expr;
  to: Expr;
}

/** `16k -> 8k`: the two endpoints of a curve. */
export interface TransitionExpr {
  kind: 'transition';
  span: Span;
  from: Expr;
  to: Expr;
}

/** Stands in where the parser recovered from an error; the error was already reported. */
export interface ErrorExpr {
  kind: 'error';
  span: Span;
}

export interface Attribute {
  kind: 'attribute';
  span: Span;
  key: Ident;
  value: Expr;
}

/** `phase compress { ... }` or `repeat 3 { ... }` inside a declaration body. */
export interface NestedBlock {
  kind: 'nested';
  span: Span;
  keyword: Ident;
  label?: Ident | NumberExpr;
  body: Block;
}

export type BlockItem = Attribute | NestedBlock;

export interface Block {
  span: Span;
  items: BlockItem[];
}

export interface Param {
  name: Ident;
  default?: Expr;
  span: Span;
}

export interface Declaration {
  kind: 'declaration';
  span: Span;
  declKind: Ident;
  name: Ident;
  params?: Param[];
  /** `kind name { ... }` */
  body?: Block;
  /** `kind name = expr` */
  value?: Expr;
}

export interface ImportDecl {
  kind: 'import';
  span: Span;
  path: StringExpr;
  alias?: Ident;
}

export interface Comment {
  text: string;
  span: Span;
}

export interface SourceFile {
  path: string;
  text: string;
  /** Imports and declarations in source order. */
  items: (ImportDecl | Declaration)[];
  comments: Comment[];
}
