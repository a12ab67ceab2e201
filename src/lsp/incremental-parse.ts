// Parsing on every keystroke, without re-parsing what did not change: the text is cut into its
// top-level items (at lines that start a name outside any bracket), each piece is parsed by the
// compiler's parser and kept by its text, and the pieces' trees are moved to where they now are.
// Any piece with a syntax error, or a file near the token limit, is parsed whole, so diagnostics
// are always exactly parseFile's; a test checks the trees are the same too.
import type * as A from '../ast/ast.js';
import { parseFile, type ParseResult } from '../ast/build.js';
import { MAX_TOKENS } from '../syntax/parser.js';
import { SiriLexer } from '../syntax/tokens.js';

interface Piece {
  result: ParseResult;
  tokens: number;
}

export class IncrementalParser {
  /** Pieces by text, per file: those of the last parse (older ones are dropped). */
  private readonly pieces = new Map<string, Map<string, Piece>>();

  parse(display: string, text: string): ParseResult {
    const starts = pieceStarts(text);
    if (!starts || starts.length < 2) return parseFile(display, text);
    const old = this.pieces.get(display) ?? new Map<string, Piece>();
    const now = new Map<string, Piece>();
    const items: (A.ImportDecl | A.Declaration)[] = [];
    const comments: A.Comment[] = [];
    let tokens = 0;
    let line = 1;
    for (let i = 0; i < starts.length; i++) {
      const from = starts[i]!;
      const chunk = text.slice(from, starts[i + 1] ?? text.length);
      let piece = now.get(chunk) ?? old.get(chunk);
      if (!piece) piece = { result: parseFile(display, chunk), tokens: SiriLexer.tokenize(chunk).tokens.length };
      now.set(chunk, piece);
      tokens += piece.tokens;
      if (piece.result.diagnostics.length || tokens > MAX_TOKENS) {
        this.pieces.set(display, now);
        return parseFile(display, text);
      }
      const moved = shift(piece.result.file, from, line - 1);
      for (const it of moved.items) items.push(it);
      for (const c of moved.comments) comments.push(c);
      line += lineBreaks(chunk);
    }
    this.pieces.set(display, now);
    return { file: { path: display, text, items, comments }, diagnostics: [] };
  }
}

function lineBreaks(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Offsets of the lines that start a top-level item: outside brackets, strings and comments, a
 * name in the first column. Undefined when the brackets do not balance (then parse it whole).
 */
export function pieceStarts(text: string): number[] | undefined {
  const starts = [0];
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      const next = text.charCodeAt(i + 1);
      if (depth === 0 && ((next >= 65 && next <= 90) || (next >= 97 && next <= 122) || next === 95)) starts.push(i + 1);
    } else if (c === 35) {
      while (i + 1 < n && text.charCodeAt(i + 1) !== 10) i++;
    } else if (c === 34 || c === 39) {
      for (i++; i < n && text.charCodeAt(i) !== c && text.charCodeAt(i) !== 10; i++) if (text.charCodeAt(i) === 92) i++;
      if (text.charCodeAt(i) === 10) i--;
    } else if (c === 123 || c === 91 || c === 40) depth++;
    else if (c === 125 || c === 93 || c === 41) {
      if (--depth < 0) return undefined;
    } else if (c === 0) return undefined;
  }
  return depth === 0 ? starts : undefined;
}

/** A copy of a piece's tree with every position moved by `offset` characters and `lines` lines (shared nodes stay shared). */
function shift<T>(tree: T, offset: number, lines: number): T {
  if (offset === 0 && lines === 0) return tree;
  const seen = new Map<object, unknown>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const done = seen.get(v);
    if (done) return done;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v) out.push(copy(x));
      return out;
    }
    const o = v as Record<string, unknown>;
    if (typeof o['offset'] === 'number' && typeof o['line'] === 'number' && typeof o['column'] === 'number') {
      const p: A.Pos = { offset: (o['offset'] as number) + offset, line: (o['line'] as number) + lines, column: o['column'] as number };
      seen.set(v, p);
      return p;
    }
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const k in o) out[k] = copy(o[k]);
    return out;
  };
  return copy(tree) as T;
}
