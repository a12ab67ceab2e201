// Turns lexer and parser failures into diagnostics that say what was expected, where, and how
// to fix it, instead of chevrotain's default messages.
import { EOF, type IRecognitionException, type ILexingError, type IToken, type TokenType } from 'chevrotain';
import type { Pos, Span } from '../ast/ast.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import * as T from './tokens.js';

export function tokenSpan(file: string, t: IToken): Span {
  return {
    file,
    start: { offset: t.startOffset, line: t.startLine ?? 1, column: t.startColumn ?? 1 },
    end: { offset: (t.endOffset ?? t.startOffset) + 1, line: t.endLine ?? t.startLine ?? 1, column: (t.endColumn ?? t.startColumn ?? 1) + 1 },
  };
}

export function posAt(text: string, offset: number): Pos {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/** The span just after a token: where something missing should have been. */
function spanAfter(file: string, t: IToken): Span {
  // Zero-width: the place right after the token, which may be the end of the line or file.
  const end = tokenSpan(file, t).end;
  return { file, start: end, end };
}

const describe = (t: IToken): string => {
  if (t.tokenType === EOF) return 'the end of the file';
  if (t.tokenType === T.Identifier) return `the name \`${t.image}\``;
  if (t.tokenType === T.NumberLiteral) return `the number \`${t.image}\``;
  if (t.tokenType === T.StringLiteral) return 'a string';
  return `\`${t.image}\``;
};

const label = (tt: TokenType): string => (tt === EOF ? 'the end of the file' : typeof tt.LABEL === 'string' ? tt.LABEL : tt.name);

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function joinOr(xs: string[]): string {
  if (xs.length <= 1) return xs[0] ?? 'something else';
  return `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}

/** Past this many unexpected characters (binary data, most likely) one diagnostic counts the rest. */
export const MAX_LEX_ERRORS = 100;

export function lexErrorsToDiagnostics(file: string, text: string, errors: readonly ILexingError[]): Diagnostic[] {
  const shown = errors.slice(0, MAX_LEX_ERRORS).map((e) => {
    const ch = text.slice(e.offset, e.offset + e.length);
    // The lexer counts lines as it goes; posAt would rescan the text once per error.
    const start = e.line !== undefined && e.column !== undefined ? { offset: e.offset, line: e.line, column: e.column } : posAt(text, e.offset);
    const span: Span = { file, start, end: { offset: e.offset + e.length, line: start.line, column: start.column + e.length } };
    const first = ch[0] ?? '';
    let help = 'remove it, or put it inside a string';
    if (first === ':') help = 'set a key with `=`, e.g. `steps = 160`';
    else if (first === "'") help = 'strings use double quotes: "like this"';
    else if (first === '/') help = 'comments start with `#`; a path is a string: `import "std/presets"`';
    else if (first === ';') help = 'no semicolons are needed: put each setting on its own line';
    else if (first === '-') help = 'a curve goes from one value to another with `->`, e.g. `cosine(16k -> 8k)`';
    return diag('E0101', span, `unexpected character \`${first}\``, { label: 'not part of the .siri language', help });
  });
  const next = errors[MAX_LEX_ERRORS];
  if (next) {
    const start = next.line !== undefined && next.column !== undefined ? { offset: next.offset, line: next.line, column: next.column } : posAt(text, next.offset);
    const span: Span = { file, start, end: { offset: next.offset + 1, line: start.line, column: start.column + 1 } };
    shown.push(diag('E0101', span, `${errors.length - MAX_LEX_ERRORS} more runs of unexpected characters from here on`, { label: `after the first ${MAX_LEX_ERRORS}`, help: 'is this a .siri file? it looks like binary data or another language' }));
  }
  return shown;
}

/**
 * Chevrotain's exceptions carry the offending token and the rule stack; we rephrase them.
 * After error recovery the parser often reports the same slip several times over; only the first
 * error of each top-level declaration is kept (a declaration starts at a name in column 1).
 */
export function parseErrorsToDiagnostics(file: string, tokens: readonly IToken[], errors: readonly IRecognitionException[]): Diagnostic[] {
  const starts = tokens.filter((t) => t.startColumn === 1 && (t.tokenType === T.Identifier || t.tokenType === T.Import)).map((t) => t.startOffset);
  const segment = (offset: number): number => {
    let s = -1;
    for (const o of starts) if (o <= offset) s = o;
    return s;
  };
  const seenSegments = new Set<number>();
  return rephrase(file, tokens, errors).filter((d) => {
    const seg = segment(d.span?.start.offset ?? Infinity);
    if (seenSegments.has(seg)) return false;
    seenSegments.add(seg);
    return true;
  });
}

function rephrase(file: string, tokens: readonly IToken[], errors: readonly IRecognitionException[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const e of errors) {
    const tok = e.token;
    const atEof = tok.tokenType === EOF || Number.isNaN(tok.startOffset);
    const prev = atEof ? tokens[tokens.length - 1] : (e as { previousToken?: IToken }).previousToken;
    const key = atEof ? -1 : tok.startOffset;
    if (seen.has(key)) continue; // one diagnostic per position is enough
    seen.add(key);
    if (tok.tokenType === T.UnterminatedString) {
      out.push(diag('E0102', tokenSpan(file, tok), 'this string is never closed', { label: 'missing a closing `"`', help: 'add `"` at the end of the string; a string cannot span lines (use `\\n`)' }));
      continue;
    }
    const span = atEof ? (prev ? spanAfter(file, prev) : { file, start: { offset: 0, line: 1, column: 1 }, end: { offset: 1, line: 1, column: 2 } }) : tokenSpan(file, tok);
    const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1] ?? '';
    const before = tokens[tokens.indexOf(tok) - 1];
    if (tok.tokenType === T.LCurly && rule === 'file' && before && (before.tokenType === T.Identifier || before.tokenType === T.RParen)) {
      // `train rl = presets.dapo {`: the `with` was left out.
      const i = tokens.indexOf(tok);
      let j = i - 1;
      while (j > 0 && tokens[j - 1]!.tokenType !== T.Equals && i - j < 40) j--;
      const base = tokens.slice(j, i).map((t) => t.image).join('').replace(/,/g, ', ').replace(/=/g, ' = ');
      out.push(diag('E0103', span, 'expected `with` before `{`', { label: 'a record of changes needs `with`', help: `write \`${base} with { ... }\` to change the settings of a declaration` }));
      continue;
    }
    out.push(diag('E0103', span, e.message, { label: atEof ? 'the file ends here' : 'unexpected here', help: helpFor(rule, e, prev) }));
  }
  return out;
}

function helpFor(rule: string, e: IRecognitionException, prev: IToken | undefined): string {
  switch (rule) {
    case 'declaration':
      return 'a declaration is `KIND NAME { key = value ... }` or `KIND NAME = other with { ... }`, e.g. `reward correct { kind = math_equal }`';
    case 'item':
      return 'inside a block, write `key = value`, or a nested block such as `phase compress { ... }`';
    case 'record':
      return 'a record is `{ key = value, key = value }`';
    case 'importDecl':
      return 'write `import "std/presets"` or `import "./common.siri" as common`';
    case 'primary':
    case 'expression':
    case 'rangeExpr':
    case 'withExpr':
      if (prev && prev.tokenType === T.Equals) return 'write a value after `=`: a number, a string in double quotes, a name, a list `[...]` or a record `{...}`';
      return 'a value is a number, a string in double quotes, a name, a call like `cosine(16k -> 8k)`, a list `[...]` or a record `{...}`';
    case 'file':
    case '':
      return 'the top level holds only `import`s and declarations like `model policy { ... }`';
    case 'args':
    case 'arg':
      return 'arguments are separated by commas: `f(a, name = b)`';
    case 'list':
      return 'list elements are separated by commas: `[a, b, c]`';
    default:
      return e.name === 'MismatchedTokenException' ? 'check for a missing or extra delimiter just before this point' : 'check the syntax just before this point';
  }
}

/** Messages in our own words (see chevrotain's custom_errors example). */
export const errorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }: { expected: TokenType; actual: IToken; previous: IToken; ruleName: string }): string {
    return `expected ${label(expected)}, found ${describe(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant, ruleName }: { firstRedundant: IToken; ruleName: string }): string {
    if (ruleName === 'expression') return `expected one value, found ${describe(firstRedundant)} after it`;
    return `expected \`import\` or a declaration, found ${describe(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }: { expectedPathsPerAlt: TokenType[][][]; actual: IToken[]; previous: IToken; customUserDescription?: string; ruleName: string }): string {
    const found = actual[0] ? describe(actual[0]) : 'something else';
    if (ruleName === 'primary') return `expected a value, found ${found}`;
    if (ruleName === 'file') return `expected \`import\` or a declaration, found ${found}`;
    const firsts = unique(expectedPathsPerAlt.flatMap((alt) => alt.map((path) => (path[0] ? label(path[0]) : ''))).filter(Boolean));
    return `expected ${joinOr(firsts)}, found ${found}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }: { expectedIterationPaths: TokenType[][]; actual: IToken[]; previous: IToken; customUserDescription?: string; ruleName: string }): string {
    const firsts = unique(expectedIterationPaths.map((p) => (p[0] ? label(p[0]) : '')).filter(Boolean));
    return `expected ${joinOr(firsts)}, found ${actual[0] ? describe(actual[0]) : 'something else'}`;
  },
};

const OPENERS = new Map<TokenType, TokenType>([
  [T.LCurly, T.RCurly],
  [T.LSquare, T.RSquare],
  [T.LParen, T.RParen],
]);
const CLOSERS = new Set<TokenType>([T.RCurly, T.RSquare, T.RParen]);

/**
 * Delimiter balance, checked on the tokens before parsing: "this `{` is never closed" pointing at
 * the opener is far more useful than "expected `}`, found the end of the file".
 */
export function delimiterDiagnostics(file: string, text: string, tokens: readonly IToken[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stack: IToken[] = [];
  for (const t of tokens) {
    if (OPENERS.has(t.tokenType)) stack.push(t);
    else if (CLOSERS.has(t.tokenType)) {
      const open = stack[stack.length - 1];
      if (open && OPENERS.get(open.tokenType) === t.tokenType) stack.pop();
      else if (open && stack.some((s) => OPENERS.get(s.tokenType) === t.tokenType)) {
        // A closer for an outer opener: the inner one was left open.
        const inner = stack.pop()!;
        out.push(unclosed(file, text, inner));
        while (stack.length && OPENERS.get(stack[stack.length - 1]!.tokenType) !== t.tokenType) out.push(unclosed(file, text, stack.pop()!));
        stack.pop();
      } else {
        out.push(diag('E0104', tokenSpan(file, t), `unmatched \`${t.image}\``, { label: 'nothing is open here to close', help: `remove this \`${t.image}\`, or add the opening delimiter it was meant to close` }));
      }
    }
  }
  while (stack.length) out.push(unclosed(file, text, stack.pop()!));
  return out;
}

function unclosed(file: string, text: string, open: IToken): Diagnostic {
  const closer = OPENERS.get(open.tokenType)!;
  const close = label(closer);
  // Guess where the closer belongs: the next non-empty line indented no deeper than the opener's line.
  const lines = text.split(/\r?\n/);
  const openLine = open.startLine ?? 1;
  const indent = (s: string): number => s.length - s.trimStart().length;
  const base = indent(lines[openLine - 1] ?? '');
  let guess: number | undefined;
  for (let i = openLine; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '' || l.trimStart().startsWith('#')) continue;
    if (indent(l) <= base) {
      guess = i + 1;
      break;
    }
  }
  const help = guess !== undefined ? `add ${close} before line ${guess}` : `add ${close} at the end of the file`;
  return diag('E0104', tokenSpan(file, open), `this \`${open.image}\` is never closed`, { label: `unclosed \`${open.image}\``, help });
}
