// The canonical formatter: prints a parsed file in the one house style, putting every comment
// back. It works from the AST plus the comment list, so layout in the input never matters,
// only its meaning, its comments and its blank lines between items.
import type * as A from '../ast/ast.js';
import { parseFile } from '../ast/build.js';
import type { Diagnostic } from '../diagnostics/messages.js';
import { UNIT_WORDS } from '../syntax/tokens.js';

export type FormatResult = { ok: true; text: string; changed: boolean } | { ok: false; diagnostics: Diagnostic[] };

const WIDTH = 100;
const INDENT = '  ';
/** Room to keep after a record that another ` with {` follows. */
const WITH_NEXT = ' with {'.length;

/** Format one file. Files with syntax errors are refused: there is no tree to print. */
export function formatSource(file: string, text: string): FormatResult {
  const parsed = parseFile(file, text);
  if (parsed.diagnostics.length > 0) return { ok: false, diagnostics: parsed.diagnostics };
  const out = new Printer(parsed.file).file();
  return { ok: true, text: out, changed: out !== text };
}

/** Printed text: lines[0] continues the current line, later lines carry their own indentation. */
type Lines = string[];

/** One element of a sequence (block item, record entry, list element, argument, top-level item). */
interface Entry {
  start: number;
  end: number;
  print: (indent: string) => Lines;
  /** Printed right after the element (`,` in lists and calls). */
  sep: string;
}

function cat(a: Lines, b: Lines | string): Lines {
  const bs = typeof b === 'string' ? [b] : b;
  return [...a.slice(0, -1), a[a.length - 1]! + bs[0]!, ...bs.slice(1)];
}

/** The column after printing `l` starting at column `col` (0-based). */
function endCol(col: number, l: Lines): number {
  return l.length === 1 ? col + l[0]!.length : l[l.length - 1]!.length;
}

const parensInBinary = (e: A.Expr, parent: 'range' | 'transition'): boolean =>
  e.kind === 'transition' || (parent === 'range' && e.kind === 'range');
const parensInWithBase = (e: A.Expr): boolean => e.kind === 'range' || e.kind === 'transition';

/** Says whether a number that ends a value must be printed in parentheses. */
type Guard = (n: A.NumberExpr) => boolean;
const never: Guard = () => false;

/**
 * Without commas between items, a number ending one value could take the next item's first word
 * as its unit (`x = 5` + `steps m = 1` reads `5 steps`), or give its unit away to an unlabeled
 * nested block (`x = 5 steps` + `phase {}` reads `x = 5` + `steps phase {}`). In those spots the
 * number is printed as `(5)` or `(5 steps)`. Any item headed by a unit word is guarded, which
 * is more than the parser needs today but stays safe if its unit lookahead changes.
 */
function guardBefore(next: A.BlockItem | A.ImportDecl | A.Declaration | undefined): Guard {
  if (!next || next.kind === 'import' || next.kind === 'attribute') return never;
  const head = next.kind === 'nested' ? next.keyword : next.declKind;
  if (Object.hasOwn(UNIT_WORDS, head.name)) return () => true;
  return next.kind === 'nested' && !next.label ? (n) => n.unit !== undefined : never;
}

class Printer {
  private readonly text: string;
  private readonly items: (A.ImportDecl | A.Declaration)[];
  private readonly comments: A.Comment[];
  /** Each comment is printed exactly once: `used[i]` once comment i has found its place. */
  private readonly used: boolean[];

  constructor(src: A.SourceFile) {
    this.text = src.text;
    this.items = src.items;
    this.comments = src.comments;
    this.used = src.comments.map(() => false);
  }

  // ---- comments and source layout ----

  /** Claims the unclaimed comments starting in [from, to) that satisfy `pred`. */
  private take(from: number, to: number, pred: (c: A.Comment) => boolean = () => true): A.Comment[] {
    const out: A.Comment[] = [];
    this.comments.forEach((c, i) => {
      const at = c.span.start.offset;
      if (!this.used[i] && at >= from && at < to && pred(c)) {
        this.used[i] = true;
        out.push(c);
      }
    });
    return out;
  }
  private hasComment(from: number, to: number): boolean {
    return this.comments.some((c) => c.span.start.offset >= from && c.span.start.offset < to);
  }
  private sameLine(from: number, to: number): boolean {
    return !this.text.slice(from, to).includes('\n');
  }
  private blankBetween(from: number, to: number): boolean {
    return /\n[ \t\r]*\n/.test(this.text.slice(from, to));
  }

  // ---- sequences ----

  /**
   * Prints entries one per line at `indent`, with the comments of [from, to) around them:
   * own-line comments before the entry they precede, a same-line comment trailing its entry,
   * comments stuck inside an entry's atomic parts just above it, leftovers at the end.
   * `groupBlank(i, blankInSource)` says whether entry i (with its leading comments) starts after
   * a blank line; blank lines among the comments of a group follow the source.
   */
  private seq(entries: Entry[], indent: string, from: number, to: number, groupBlank: (i: number, src: boolean) => boolean): string[] {
    const out: string[] = [];
    const push = (blank: boolean, line: string): void => {
      if (blank && out.length > 0) out.push('');
      out.push(line);
    };
    const line = (c: A.Comment): string => indent + c.text.trimEnd();
    let pos = from;
    entries.forEach((e, i) => {
      let first = true;
      const blankBefore = (at: number): boolean => {
        const src = this.blankBetween(pos, at);
        const b = first ? groupBlank(i, src) : src;
        first = false;
        return b;
      };
      for (const c of this.take(pos, e.start)) {
        push(blankBefore(c.span.start.offset), line(c));
        pos = c.span.end.offset;
      }
      const body = e.print(indent);
      const blank = blankBefore(e.start);
      const stranded = this.take(e.start, e.end);
      stranded.forEach((c, k) => push(k === 0 && blank, line(c)));
      const next = entries[i + 1]?.start ?? to;
      const [trailing] = this.take(e.end, next, (c) => this.sameLine(e.end, c.span.start.offset));
      const lines = cat(body, e.sep + (trailing ? `  ${trailing.text.trimEnd()}` : ''));
      push(stranded.length === 0 && blank, indent + lines[0]);
      out.push(...lines.slice(1));
      pos = trailing ? trailing.span.end.offset : e.end;
    });
    for (const c of this.take(pos, to)) {
      push(this.blankBetween(pos, c.span.start.offset), line(c));
      pos = c.span.end.offset;
    }
    return out;
  }

  /** `open` entries `close` over several lines; `openAt`/`closeAt` are the brackets' offsets. */
  private container(open: string, close: string, openAt: number, closeAt: number, entries: Entry[], indent: string): Lines {
    const firstAt = entries[0]?.start ?? closeAt;
    const [c] = this.take(openAt, firstAt, (x) => this.sameLine(openAt, x.span.start.offset));
    const head = c ? `${open}  ${c.text.trimEnd()}` : open;
    const from = c ? c.span.end.offset : openAt + 1;
    const body = this.seq(entries, indent + INDENT, from, closeAt, (i, src) => i > 0 && src);
    return [head, ...body, indent + close];
  }

  // ---- file, declarations, blocks ----

  file(): string {
    const items = this.items;
    const entries = items.map((it, i): Entry => ({
      start: it.span.start.offset,
      end: it.span.end.offset,
      sep: '',
      print: (indent) => (it.kind === 'import' ? [this.importDecl(it)] : this.declaration(it, indent, guardBefore(items[i + 1]))),
    }));
    // Imports sit together; everything else is one blank line apart.
    const lines = this.seq(entries, '', 0, this.text.length, (i) => i > 0 && !(items[i - 1]!.kind === 'import' && items[i]!.kind === 'import'));
    return lines.length > 0 ? lines.join('\n') + '\n' : '';
  }

  private importDecl(d: A.ImportDecl): string {
    return `import ${d.path.raw}` + (d.alias ? ` as ${d.alias.name}` : '');
  }

  private declaration(d: A.Declaration, indent: string, guard: Guard): Lines {
    let l: Lines = [`${d.declKind.name} ${d.name.name}`];
    if (d.params) l = cat(l, this.params(d.params, indent, indent.length + l[0]!.length));
    if (d.body) return cat(cat(l, ' '), this.block(d.body, indent));
    if (d.value) {
      l = cat(l, ' = ');
      return cat(l, this.expr(d.value, indent, endCol(indent.length, l), 0, guard));
    }
    return l;
  }

  /** `(low, high = 16k)`: always on the header line; a comment inside moves above the header. */
  private params(ps: A.Param[], indent: string, col: number): Lines {
    let l: Lines = ['('];
    ps.forEach((p, i) => {
      if (i > 0) l = cat(l, ', ');
      l = cat(l, p.name.name);
      if (p.default) {
        l = cat(l, ' = ');
        l = cat(l, this.expr(p.default, indent, endCol(col, l), 1, never));
      }
    });
    return cat(l, ')');
  }

  private block(b: A.Block, indent: string): Lines {
    const open = b.span.start.offset;
    const close = b.span.end.offset - 1;
    if (b.items.length === 0 && !this.hasComment(open, close)) return ['{}'];
    const entries = b.items.map((it, i): Entry => ({
      start: it.span.start.offset,
      end: it.span.end.offset,
      sep: '',
      print: (ind) => this.blockItem(it, ind, guardBefore(b.items[i + 1])),
    }));
    return this.container('{', '}', open, close, entries, indent);
  }

  private blockItem(it: A.BlockItem, indent: string, guard: Guard): Lines {
    if (it.kind === 'attribute') return this.attribute(it, indent, 0, guard);
    const label = it.label ? ` ${'kind' in it.label ? it.label.raw : it.label.name}` : '';
    return cat([`${it.keyword.name}${label} `], this.block(it.body, indent));
  }

  private attribute(a: A.Attribute, indent: string, tail: number, guard: Guard): Lines {
    const head = `${a.key.name} = `;
    return cat([head], this.expr(a.value, indent, indent.length + head.length, tail, guard));
  }

  // ---- expressions ----

  /**
   * Prints `e` starting at column `col`, with `tail` more characters to follow on its last line.
   * Whatever fits in WIDTH and holds no comment stays on one line; otherwise its outermost
   * bracketed parts break, and their elements decide again. `guard` may parenthesize the number
   * that ends the value (see guardBefore).
   */
  private expr(e: A.Expr, indent: string, col: number, tail: number, guard: Guard): Lines {
    const flat = this.flat(e, guard);
    if (flat !== null && (col + flat.length + tail <= WIDTH || this.atomic(e))) return [flat];
    switch (e.kind) {
      case 'record': {
        const entries = e.entries.map((a) => this.entry(a, '', (ind) => this.attribute(a, ind, 0, never)));
        return this.container('{', '}', e.span.start.offset, e.span.end.offset - 1, entries, indent);
      }
      case 'list': {
        const entries = this.commaEntries(e.elements, (x, ind) => this.expr(x, ind, ind.length, 1, never));
        return this.container('[', ']', e.span.start.offset, e.span.end.offset - 1, entries, indent);
      }
      case 'call': {
        const args = this.commaEntries(e.args, (a, ind) => {
          const head = a.name ? `${a.name.name} = ` : '';
          return cat([head], this.expr(a.value, ind, ind.length + head.length, 1, never));
        });
        return this.container(`${this.ref(e.callee)}(`, ')', e.callee.span.end.offset, e.span.end.offset - 1, args, indent);
      }
      case 'with': {
        // A chain `base with {..} with {..}`: each override decides on its own line position.
        const overrides: A.RecordExpr[] = [];
        let base: A.Expr = e;
        while (base.kind === 'with') {
          overrides.unshift(base.override);
          base = base.base;
        }
        let l = this.sub(base, parensInWithBase(base), indent, col, WITH_NEXT, never);
        overrides.forEach((r, i) => {
          l = cat(l, ' with ');
          l = cat(l, this.expr(r, indent, endCol(col, l), i === overrides.length - 1 ? tail : WITH_NEXT, never));
        });
        return l;
      }
      case 'range':
      case 'transition': {
        const op = e.kind === 'range' ? '..' : ' -> ';
        const pf = parensInBinary(e.from, e.kind);
        const pt = parensInBinary(e.to, e.kind);
        const l = cat(this.sub(e.from, pf, indent, col, op.length, never), op);
        return cat(l, this.sub(e.to, pt, indent, endCol(col, l), tail, pt ? never : guard));
      }
      default:
        throw new Error(`formatter: cannot print a ${e.kind} expression`);
    }
  }

  /** Names, numbers and strings never break, however long. */
  private atomic(e: A.Expr): boolean {
    return e.kind === 'number' || e.kind === 'string' || e.kind === 'bool' || e.kind === 'ref';
  }

  private sub(e: A.Expr, parens: boolean, indent: string, col: number, tail: number, guard: Guard): Lines {
    if (!parens) return this.expr(e, indent, col, tail, guard);
    return cat(cat(['('], this.expr(e, indent, col + 1, tail + 1, never)), ')');
  }

  private entry(a: A.Attribute | A.Arg | A.Expr, sep: string, print: (indent: string) => Lines): Entry {
    return { start: a.span.start.offset, end: a.span.end.offset, sep, print };
  }
  private commaEntries<T extends A.Arg | A.Expr>(xs: T[], print: (x: T, indent: string) => Lines): Entry[] {
    return xs.map((x) => this.entry(x, ',', (ind) => print(x, ind)));
  }

  private ref(r: A.RefExpr): string {
    return r.path.map((p) => p.name).join('.');
  }

  /** The one-line form, or null when a comment inside a bracketed part forces it onto lines. */
  private flat(e: A.Expr, guard: Guard): string | null {
    const all = (parts: (string | null)[]): string[] | null => (parts.every((p) => p !== null) ? (parts as string[]) : null);
    const sub = (x: A.Expr, parens: boolean, g: Guard): string | null => {
      const s = this.flat(x, parens ? never : g);
      return s !== null && parens ? `(${s})` : s;
    };
    const commented = (from: A.Pos, to: A.Pos): boolean => this.hasComment(from.offset, to.offset);
    switch (e.kind) {
      case 'number': {
        const n = e.unit ? `${e.raw} ${e.unit.name}` : e.raw;
        return guard(e) ? `(${n})` : n;
      }
      case 'string':
        return e.raw;
      case 'bool':
        return e.value ? 'true' : 'false';
      case 'ref':
        return this.ref(e);
      case 'call': {
        if (commented(e.callee.span.end, e.span.end)) return null;
        const args = all(e.args.map((a) => {
          const v = this.flat(a.value, never);
          return v !== null && a.name ? `${a.name.name} = ${v}` : v;
        }));
        return args && `${this.ref(e.callee)}(${args.join(', ')})`;
      }
      case 'list': {
        const els = commented(e.span.start, e.span.end) ? null : all(e.elements.map((x) => this.flat(x, never)));
        return els && `[${els.join(', ')}]`;
      }
      case 'record': {
        const es = commented(e.span.start, e.span.end) ? null : all(e.entries.map((a) => {
          const v = this.flat(a.value, never);
          return v !== null ? `${a.key.name} = ${v}` : null;
        }));
        return es && (es.length > 0 ? `{ ${es.join(', ')} }` : '{}');
      }
      case 'with': {
        const b = sub(e.base, parensInWithBase(e.base), never);
        const r = this.flat(e.override, never);
        return b !== null && r !== null ? `${b} with ${r}` : null;
      }
      case 'range':
      case 'transition': {
        const from = sub(e.from, parensInBinary(e.from, e.kind), never);
        const to = sub(e.to, parensInBinary(e.to, e.kind), guard);
        return from !== null && to !== null ? `${from}${e.kind === 'range' ? '..' : ' -> '}${to}` : null;
      }
      case 'error':
        throw new Error('formatter: cannot print a file with syntax errors');
    }
  }
}
