// CST → AST. Tolerant of the holes that error recovery leaves: a missing piece becomes an
// ErrorExpr or is skipped (the syntax error itself was already reported).
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import { posAt, tokenSpan, lexErrorsToDiagnostics, parseErrorsToDiagnostics, delimiterDiagnostics } from '../syntax/errors.js';
import { firstTooDeep, firstTooLong, MAX_NESTING, MAX_TOKEN_CHARS, MAX_TOKENS, parseText, parserInstance } from '../syntax/parser.js';
import { ColonInsteadOfEquals, NumberLiteral, SingleQuotedString, WrongSuffixNumber, SiriLexer, StringLiteral, UNIT_WORDS, UnterminatedString } from '../syntax/tokens.js';

type Children = Record<string, CstElement[] | undefined>;

const isToken = (e: CstElement | undefined): e is IToken => !!e && 'image' in e;
const isNode = (e: CstElement | undefined): e is CstNode => !!e && 'children' in e;

function tokens(c: Children, name: string): IToken[] {
  return (c[name] ?? []).filter(isToken).filter((t) => !t.isInsertedInRecovery && !Number.isNaN(t.startOffset));
}
function nodes(c: Children, name: string): CstNode[] {
  return (c[name] ?? []).filter(isNode);
}

export interface ParseResult {
  file: A.SourceFile;
  diagnostics: Diagnostic[];
}

class Builder {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  span(n: CstNode): A.Span {
    const l = n.location;
    if (!l || Number.isNaN(l.startOffset) || l.startLine === undefined) return this.emptySpan();
    const endOffset = Number.isNaN(l.endOffset ?? NaN) ? l.startOffset : (l.endOffset as number);
    return {
      file: this.file,
      start: { offset: l.startOffset, line: l.startLine, column: l.startColumn ?? 1 },
      end: { offset: endOffset + 1, line: l.endLine ?? l.startLine, column: (l.endColumn ?? l.startColumn ?? 1) + 1 },
    };
  }
  emptySpan(): A.Span {
    const p = { offset: 0, line: 1, column: 1 };
    return { file: this.file, start: p, end: p };
  }
  tok(t: IToken): A.Span {
    return tokenSpan(this.file, t);
  }
  ident(t: IToken): A.Ident {
    return { name: t.image, span: this.tok(t) };
  }

  sourceFile(cst: CstNode, comments: IToken[]): A.SourceFile {
    const items: (A.ImportDecl | A.Declaration)[] = [];
    for (const imp of nodes(cst.children, 'importDecl')) {
      const d = this.importDecl(imp);
      if (d) items.push(d);
    }
    for (const decl of nodes(cst.children, 'declaration')) {
      const d = this.declaration(decl);
      if (d) items.push(d);
    }
    items.sort((a, b) => a.span.start.offset - b.span.start.offset);
    return {
      path: this.file,
      text: this.text,
      items,
      comments: comments.map((t) => ({ text: t.image, span: this.tok(t) })),
    };
  }

  importDecl(n: CstNode): A.ImportDecl | undefined {
    const c = n.children;
    const path = tokens(c, 'path')[0];
    if (!path) return undefined;
    const alias = tokens(c, 'alias')[0];
    const d: A.ImportDecl = { kind: 'import', span: this.span(n), path: this.string(path) };
    if (alias) d.alias = this.ident(alias);
    return d;
  }

  declaration(n: CstNode): A.Declaration | undefined {
    const c = n.children;
    const kind = tokens(c, 'kind')[0];
    const name = tokens(c, 'name')[0];
    if (!kind || !name) return undefined;
    const d: A.Declaration = { kind: 'declaration', span: this.span(n), declKind: this.ident(kind), name: this.ident(name) };
    const params = nodes(c, 'params')[0];
    if (params) {
      d.params = nodes(params.children, 'param').flatMap((p) => {
        const pn = tokens(p.children, 'name')[0];
        if (!pn) return [];
        const param: A.Param = { name: this.ident(pn), span: this.span(p) };
        const def = nodes(p.children, 'default')[0];
        if (def) param.default = this.expression(def);
        return [param];
      });
    }
    const block = nodes(c, 'block')[0];
    if (block) d.body = this.block(block);
    const value = nodes(c, 'value')[0];
    if (value) d.value = this.expression(value);
    return d;
  }

  block(n: CstNode): A.Block {
    const items: A.BlockItem[] = [];
    for (const it of nodes(n.children, 'item')) {
      const c = it.children;
      const key = tokens(c, 'key')[0];
      if (!key) continue;
      const value = nodes(c, 'value')[0];
      const inner = nodes(c, 'block')[0];
      if (value) {
        items.push({ kind: 'attribute', span: this.attrSpan(key, value), key: this.ident(key), value: this.expression(value) });
      } else if (inner) {
        const nb: A.NestedBlock = { kind: 'nested', span: this.span(it), keyword: this.ident(key), body: this.block(inner) };
        const lbl = tokens(c, 'label')[0];
        if (lbl) nb.label = /^[-0-9]/.test(lbl.image) ? this.number(lbl) : this.ident(lbl);
        items.push(nb);
      } else if (tokens(c, 'Equals').length) {
        items.push(this.missingValue(key, tokens(c, 'Equals')[0]!));
      }
    }
    return { span: this.span(n), items };
  }

  /** `key =` with no value: reported here, and kept so the checker doesn't also call the key missing. */
  missingValue(key: IToken, eq: IToken): A.Attribute {
    const span = this.tok(key);
    const after = this.tok(eq).end;
    this.diagnostics.push(diag('E0103', { file: this.file, start: after, end: after }, `expected a value after \`${key.image} =\``, { label: 'the value is missing', help: 'write a value after `=`: a number, a string in double quotes, a name, a list `[...]` or a record `{...}`' }));
    return { kind: 'attribute', span, key: this.ident(key), value: { kind: 'error', span } };
  }

  /** An attribute spans from its key to the end of its value (not a trailing comma). */
  attrSpan(key: IToken, value: CstNode): A.Span {
    const k = this.tok(key);
    const v = this.span(value);
    return { file: this.file, start: k.start, end: v.end.offset >= k.end.offset ? v.end : k.end };
  }

  expression(n: CstNode): A.Expr {
    const c = n.children;
    const lhsNode = nodes(c, 'lhs')[0];
    if (!lhsNode) return { kind: 'error', span: this.span(n) };
    const lhs = this.rangeExpr(lhsNode);
    const rhsNode = nodes(c, 'rhs')[0];
    if (!rhsNode) return lhs;
    return { kind: 'transition', span: this.span(n), from: lhs, to: this.rangeExpr(rhsNode) };
  }

  rangeExpr(n: CstNode): A.Expr {
    const c = n.children;
    const lhsNode = nodes(c, 'lhs')[0];
    if (!lhsNode) return { kind: 'error', span: this.span(n) };
    const lhs = this.withExpr(lhsNode);
    const rhsNode = nodes(c, 'rhs')[0];
    if (!rhsNode) return lhs;
    return { kind: 'range', span: this.span(n), from: lhs, to: this.withExpr(rhsNode) };
  }

  withExpr(n: CstNode): A.Expr {
    const c = n.children;
    const baseNode = nodes(c, 'base')[0];
    let e: A.Expr = baseNode ? this.primary(baseNode) : { kind: 'error', span: this.span(n) };
    const overrides = nodes(c, 'override');
    if (overrides.length > MAX_NESTING) {
      // Each `with` nests the value one level deeper for every later phase: bounded like brackets.
      const w = tokens(c, 'With')[MAX_NESTING];
      this.diagnostics.push(diag('E0107', w ? this.tok(w) : this.span(n), `more than ${MAX_NESTING} \`with\` in a row`, { label: 'too deep', help: 'merge the records into one: `base with { a = 1, b = 2 }`' }));
      return { kind: 'error', span: this.span(n) };
    }
    for (const o of overrides) {
      const override = this.record(o);
      e = { kind: 'with', span: { file: this.file, start: e.span.start, end: override.span.end }, base: e, override };
    }
    return e;
  }

  primary(n: CstNode): A.Expr {
    const c = n.children;
    const num = nodes(c, 'numberExpr')[0];
    if (num) return this.numberExpr(num);
    const str = tokens(c, 'StringLiteral')[0];
    if (str) return this.string(str);
    const t = tokens(c, 'True')[0] ?? tokens(c, 'False')[0];
    if (t) return { kind: 'bool', span: this.tok(t), value: t.image === 'true' };
    const ref = nodes(c, 'referenceOrCall')[0];
    if (ref) return this.referenceOrCall(ref);
    const list = nodes(c, 'list')[0];
    if (list) return { kind: 'list', span: this.span(list), elements: nodes(list.children, 'element').map((e) => this.expression(e)) };
    const rec = nodes(c, 'record')[0];
    if (rec) return this.record(rec);
    const inner = nodes(c, 'inner')[0];
    if (inner) return this.expression(inner);
    return { kind: 'error', span: this.span(n) };
  }

  record(n: CstNode): A.RecordExpr {
    const keys = tokens(n.children, 'key');
    const eqs = tokens(n.children, 'Equals');
    const values = nodes(n.children, 'value');
    const entries: A.Attribute[] = [];
    // Pair each key with the value that follows its `=` (a value may be missing).
    keys.forEach((k, i) => {
      const eq = eqs[i];
      const next = keys[i + 1]?.startOffset ?? Infinity;
      const v = eq ? values.find((x) => (x.location?.startOffset ?? -1) > eq.startOffset && (x.location?.startOffset ?? Infinity) < next) : undefined;
      if (v) entries.push({ kind: 'attribute', span: this.attrSpan(k, v), key: this.ident(k), value: this.expression(v) });
      else if (eq) entries.push(this.missingValue(k, eq));
    });
    return { kind: 'record', span: this.span(n), entries };
  }

  referenceOrCall(n: CstNode): A.Expr {
    const c = n.children;
    const parts = tokens(c, 'part').map((t) => this.ident(t));
    const first = parts[0];
    const last = parts[parts.length - 1];
    if (!first || !last) return { kind: 'error', span: this.span(n) };
    const ref: A.RefExpr = { kind: 'ref', span: { file: this.file, start: first.span.start, end: last.span.end }, path: parts };
    const args = nodes(c, 'args')[0];
    if (!args) return ref;
    return {
      kind: 'call',
      span: this.span(n),
      callee: ref,
      args: nodes(args.children, 'arg').flatMap((a) => {
        const v = nodes(a.children, 'value')[0];
        if (!v) return [];
        const arg: A.Arg = { value: this.expression(v), span: this.span(a) };
        const name = tokens(a.children, 'name')[0];
        if (name) arg.name = this.ident(name);
        return [arg];
      }),
    };
  }

  numberExpr(n: CstNode): A.Expr {
    const t = tokens(n.children, 'NumberLiteral')[0];
    if (!t) return { kind: 'error', span: this.span(n) };
    const e = this.number(t);
    const unit = tokens(n.children, 'unit')[0];
    if (unit) {
      e.unit = { ...this.ident(unit), canonical: Object.hasOwn(UNIT_WORDS, unit.image) ? UNIT_WORDS[unit.image]! : unit.image };
      e.span = { file: this.file, start: e.span.start, end: this.tok(unit).end };
    }
    return e;
  }

  number(t: IToken): A.NumberExpr {
    const raw = t.image;
    const span = this.tok(t);
    const suffix = /[kK]$/.test(raw) ? 1024 : /[Mm]$/.test(raw) ? 1024 * 1024 : /[GgTt]$/.test(raw) ? 1024 ** 3 : 1;
    const digits = (suffix === 1 ? raw : raw.slice(0, -1)).replace(/_/g, '');
    const integral = !/[.eE]/.test(digits);
    let value = Number(digits) * suffix;
    if (!Number.isFinite(value)) {
      this.diagnostics.push(diag('E0106', span, `the number \`${raw.length > 40 ? `${raw.slice(0, 20)}…` : raw}\` is too large`, { label: 'not a finite number', help: 'use a smaller value' }));
      value = 0;
    } else if (suffix !== 1 && !Number.isInteger(value)) {
      this.diagnostics.push(
        diag('E0106', span, `\`${raw}\` is not a whole number`, {
          label: `this is ${value}`,
          help: `a size suffix means ×${suffix}; write the whole number instead, e.g. \`${Math.round(value)}\``,
        }),
      );
    }
    return { kind: 'number', span, raw, value, integral: integral || (suffix !== 1 && Number.isInteger(value)) };
  }

  string(t: IToken): A.StringExpr {
    const raw = t.image;
    const span = this.tok(t);
    const body = raw.slice(1, -1);
    const parts: A.TemplatePart[] = [];
    let text = '';
    let value = '';
    const at = (i: number): A.Span => {
      // Strings never span lines, so columns move with offsets.
      const off = t.startOffset + 1 + i;
      const col = (t.startColumn ?? 1) + 1 + i;
      return { file: this.file, start: { offset: off, line: span.start.line, column: col }, end: { offset: off + 1, line: span.start.line, column: col + 1 } };
    };
    for (let i = 0; i < body.length; i++) {
      const ch = body[i]!;
      if (ch === '\\') {
        const nx = body[i + 1] ?? '';
        const map: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', '{': '{', '}': '}' };
        const rep = map[nx];
        if (rep === undefined) {
          const s = at(i);
          s.end = { ...s.end, offset: s.end.offset + 1, column: s.end.column + 1 };
          this.diagnostics.push(diag('E0105', s, `unknown escape \`\\${nx}\``, { label: 'not a valid escape', help: 'valid escapes are \\n \\t \\" \\\\ \\{ \\}; to write a backslash, double it: `\\\\`' }));
        } else {
          text += rep;
          value += rep;
        }
        i++;
        continue;
      }
      FIELD.lastIndex = i;
      const m = ch === '{' ? FIELD.exec(body) : null;
      if (m) {
        if (text) parts.push({ text });
        text = '';
        const s = at(i);
        s.end = { ...s.end, offset: s.start.offset + m[0].length, column: s.start.column + m[0].length };
        parts.push({ field: m[1]!, span: s });
        value += m[0];
        i += m[0].length - 1;
        continue;
      }
      text += ch;
      value += ch;
    }
    if (text) parts.push({ text });
    return { kind: 'string', span, raw, value, parts };
  }
}

/** `{field}` in a string, matched where it starts (sticky: no copy of the rest of the string). */
const FIELD = /\{([A-Za-z_][A-Za-z0-9_]*)\}/y;

/** Lex, parse and build the AST of one file; every syntax error is reported, none thrown. */
export function parseFile(file: string, text: string): ParseResult {
  const b = new Builder(file, text);
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const start = posAt(text, nul);
    const span = { file, start, end: { offset: nul + 1, line: start.line, column: start.column + 1 } };
    return { file: { path: file, text, items: [], comments: [] }, diagnostics: [diag('E0902', span, `\`${file}\` is not a text file`, { label: 'a NUL byte', help: 'a .siri file is UTF-8 text: check the path, or remove the NUL byte' })] };
  }
  const out = parseText(text);
  if (out.tooMany) {
    return { file: { path: file, text, items: [], comments: [] }, diagnostics: [diag('E0109', tokenSpan(file, out.tooMany), `the file has more than ${MAX_TOKENS} tokens`, { label: `token ${MAX_TOKENS + 1}`, help: 'a pipeline is a few hundred tokens: split the file into files that import each other, or keep data in a dataset file' })] };
  }
  if (out.tooDeep || !out.cst) {
    const span = out.tooDeep ? tokenSpan(file, out.tooDeep) : b.emptySpan();
    return { file: { path: file, text, items: [], comments: [] }, diagnostics: [diag('E0107', span, `brackets are nested more than ${MAX_NESTING} levels deep`, { label: 'too deep', help: 'flatten the value: a pipeline never needs this much nesting' })] };
  }
  const long = firstTooLong(out.tokens);
  if (long) return { file: { path: file, text, items: [], comments: [] }, diagnostics: [tooLong(file, long)] };
  const diagnostics: Diagnostic[] = [...lexErrorsToDiagnostics(file, text, out.lexErrors)];
  for (const t of out.tokens) {
    if (t.tokenType === ColonInsteadOfEquals) diagnostics.push(diag('E0101', tokenSpan(file, t), 'unexpected character `:`', { label: 'keys are set with `=`', help: 'write `=` instead of `:`, e.g. `seed = 1`' }));
    if (t.tokenType === WrongSuffixNumber) diagnostics.push(wrongSuffix(file, t));
    if (t.tokenType === SingleQuotedString) diagnostics.push(diag('E0101', tokenSpan(file, t), "strings use double quotes, not `'`", { label: 'single quote', help: `write "${t.image.slice(1, -1)}"` }));
  }
  const delims = delimiterDiagnostics(file, text, out.tokens);
  for (const d of delims) diagnostics.push(d);
  let parseDiags = parseErrorsToDiagnostics(file, out.tokens, out.parseErrors);
  // An unclosed delimiter explains the parser's complaints at the end of the file and at the
  // stray closers; keep only the parser errors that the delimiter check doesn't already cover.
  if (delims.length) {
    const delimOffsets = new Set(delims.map((d) => d.span?.start.offset));
    parseDiags = parseDiags.filter((d) => !d.message.includes('end of the file') && !delimOffsets.has(d.span?.start.offset));
  }
  for (const d of parseDiags) diagnostics.push(d);
  const ast = b.sourceFile(out.cst, out.comments);
  for (const d of b.diagnostics) diagnostics.push(d);
  return { file: ast, diagnostics };
}

/** E0106 for `1K`, `8m`, `2G`: say which suffixes exist and what the number would be with them. */
function wrongSuffix(file: string, t: IToken): Diagnostic {
  const digits = t.image.slice(0, -1);
  const suffix = t.image.slice(-1);
  const span = tokenSpan(file, t);
  if (suffix === 'K') return diag('E0106', span, `the size suffix is a lowercase \`k\`, not \`K\``, { label: 'k means ×1024', help: `write \`${digits}k\`` });
  if (suffix === 'm') return diag('E0106', span, `the suffix for ×1024² is an uppercase \`M\`, not \`m\``, { label: 'M means ×1024², k ×1024', help: `write \`${digits}M\`, or \`${digits}k\` for ×1024` });
  return diag('E0106', span, `\`${t.image}\` has a size suffix siric does not know`, { label: 'the suffixes are k (×1024) and M (×1024²)', help: `write the whole number, or use \`${digits}M\` for ×1024²` });
}

/** E0108: a string, name or number too long to be meant (a file of data pasted in, or a runaway quote). */
function tooLong(file: string, t: IToken): Diagnostic {
  const isString = t.tokenType === StringLiteral || t.tokenType === UnterminatedString || t.tokenType === SingleQuotedString;
  const what = isString ? 'string' : t.tokenType === NumberLiteral ? 'number' : 'name';
  const span = tokenSpan(file, t);
  // Underline the start only: the renderer quotes one line, and this one is huge.
  span.end = { offset: span.start.offset + 1, line: span.start.line, column: span.start.column + 1 };
  const length = t.tokenType === UnterminatedString ? t.image.length - 1 : isString ? t.image.length - 2 : t.image.length;
  return diag('E0108', span, `this ${what} is ${length} characters long, more than the ${MAX_TOKEN_CHARS} a ${what} may have`, {
    label: `a ${what} starts here`,
    help: isString ? 'keep long text out of the pipeline: put it in the dataset file (`source = jsonl("data.jsonl")`) and refer to its fields as `{field}`' : `use a shorter ${what}`,
  });
}

/** Parse a lone value (the right-hand side of `--set path=value`). */
export function parseExpression(file: string, text: string): { expr?: A.Expr; diagnostics: Diagnostic[] } {
  const lexed = SiriLexer.tokenize(text);
  const deep = firstTooDeep(lexed.tokens);
  if (deep) return { diagnostics: [diag('E0107', tokenSpan(file, deep), `brackets are nested more than ${MAX_NESTING} levels deep`, { label: 'too deep', help: 'flatten the value' })] };
  const long = firstTooLong(lexed.tokens);
  if (long) return { diagnostics: [tooLong(file, long)] };
  parserInstance.input = lexed.tokens;
  const cst = parserInstance.expression();
  // Left-over tokens after the value get our own message, not the parser's.
  const errors = parserInstance.errors.filter((e) => e.name !== 'NotAllInputParsedException');
  const diagnostics = [...lexErrorsToDiagnostics(file, text, lexed.errors), ...parseErrorsToDiagnostics(file, lexed.tokens, errors)];
  const b = new Builder(file, text);
  const expr = b.expression(cst);
  for (const d of b.diagnostics) diagnostics.push(d);
  const end = expr.span.end.offset;
  const rest = lexed.tokens.find((t) => t.startOffset >= end);
  if (!diagnostics.length && rest) diagnostics.push(diag('E0103', tokenSpan(file, rest), `expected one value, found \`${rest.image}\` after it`, { label: 'one value only', help: 'write a list as `[a, b]`, and quote the whole argument in the shell: `--set \'rl.rewards=[a, b]\'`' }));
  return diagnostics.length ? { diagnostics } : { expr, diagnostics };
}
