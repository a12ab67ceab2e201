// math_equal: is a model's final answer the same as the reference? The answer is the last
// non-empty `\boxed{...}` outside code (two different boxed answers are a hedge: no answer), else
// the last answer label (grader/extract.ts). Both sides are normalised (grader/normalize.ts), then
// compared as exact values (grader/number.ts), case-insensitive text, multiple-choice letters,
// matrices entry by entry, tuples and intervals in order, sets and solution lists in any order.
// No symbolic algebra: `a+b` and `b+a` differ. docs/grader.md has the table and its figures.
import { allBoxed, labelledAnswer, withoutCode } from './grader/extract.js';
import { MAX_ANSWER, normalizeMath } from './grader/normalize.js';
import { evalValue, valuesEqual } from './grader/number.js';

export { lastBoxed } from './grader/extract.js';
export { normalizeMath } from './grader/normalize.js';
export { evalMath } from './grader/number.js';

/** Boxes compared for a hedge: the last few are enough, and bound the time on odd responses. */
const MAX_BOXES = 16;

/**
 * The final answer of a response: the last non-empty `\boxed{}` outside code (null when an
 * earlier box says something else: a hedge), else the last answer label, else null.
 */
export function extractMathAnswer(response: string): string | null {
  try {
    const text = withoutCode(response);
    const boxes = allBoxed(text)
      .filter((b) => b.trim() !== '')
      .slice(-MAX_BOXES);
    const last = boxes.at(-1);
    if (last !== undefined) return boxes.every((b) => b === last || mathEqual(b, last)) ? last : null;
    // An empty box after a label is a template, not the answer.
    return labelledAnswer(text)?.replace(/\\(?:boxed|fbox)\s*\{\s*\}/g, '').trim().replace(/\.$/, '') || null;
  } catch {
    return null;
  }
}

/**
 * Is `given` the same answer as `reference`? Numbers compare exactly unless `tolerance` (relative,
 * opt-in, default 0) is given. Never throws: anything it cannot read is compared as text.
 */
export function mathEqual(given: string, reference: string, tolerance = 0): boolean {
  try {
    const a = normalizeMath(given);
    const b = normalizeMath(reference);
    if (a === '') return false;
    if (a.length > MAX_ANSWER || b.length > MAX_ANSWER) return a === b;
    return formsEqual(form(a), form(b), tolerance);
  } catch {
    return false;
  }
}

/** The shape of a normalised answer. */
type Form =
  | { kind: 'one'; s: string }
  | { kind: 'matrix'; rows: string[][] }
  | { kind: 'union'; parts: string[] }
  | { kind: 'tuple'; open: string; close: string; items: string[] } // ordered: tuples, intervals
  | { kind: 'set'; items: string[] }; // unordered: `\{1,2\}`, `1, 2`, `x=1, x=2`, `\pm 2`

const MATRIX = /^[[(|]?\\begin\{([pbvBV]?matrix|array)\}(?:\{[lcr|]*\})?(.*)\\end\{\1\}[\])|]?$/;

function form(s: string): Form {
  const m = MATRIX.exec(s);
  if (m) return { kind: 'matrix', rows: m[2]!.split('\\\\').filter((r) => r !== '').map((r) => r.split('&')) };
  const parts = splitTop(s, '\\cup');
  if (parts.length > 1) return { kind: 'union', parts };
  if (s.startsWith('\\{') && s.endsWith('\\}') && closes(s, 1) === s.length - 1) return { kind: 'set', items: solutions(splitTop(s.slice(2, -2), ',')) };
  if (/^[([]/.test(s) && /[)\]]$/.test(s) && closes(s, 0) === s.length - 1) {
    const items = splitTop(s.slice(1, -1), ',');
    if (items.length > 1) return { kind: 'tuple', open: s[0]!, close: s.at(-1)!, items };
  }
  const items = solutions(splitTop(s, ','));
  return items.length > 1 ? { kind: 'set', items } : { kind: 'one', s: items[0] ?? s };
}

function formsEqual(a: Form, b: Form, tol: number): boolean {
  if (a.kind === 'one' && b.kind === 'one') return itemEqual(a.s, b.s, tol);
  if (a.kind === 'matrix' && b.kind === 'matrix') {
    return a.rows.length === b.rows.length && a.rows.every((r, i) => r.length === b.rows[i]!.length && r.every((x, j) => itemEqual(x, b.rows[i]![j]!, tol)));
  }
  if (a.kind === 'union' && b.kind === 'union') return sameItems(a.parts, b.parts, (x, y) => formsEqual(form(x), form(y), tol));
  if (a.kind === 'tuple' && b.kind === 'tuple') {
    return a.open === b.open && a.close === b.close && a.items.length === b.items.length && a.items.every((x, i) => itemEqual(x, b.items[i]!, tol));
  }
  if (a.kind === 'set' && b.kind === 'set') return sameItems(a.items, b.items, (x, y) => itemEqual(x, y, tol));
  return false;
}

/** The same items in any order, each used once. */
function sameItems(xs: string[], ys: string[], eq: (x: string, y: string) => boolean): boolean {
  if (xs.length !== ys.length) return false;
  const used = new Array<boolean>(ys.length).fill(false);
  return xs.every((x) => {
    const j = ys.findIndex((y, k) => !used[k] && eq(x, y));
    if (j < 0) return false;
    used[j] = true;
    return true;
  });
}

function itemEqual(a: string, b: string, tol: number): boolean {
  if (a.toLowerCase() === b.toLowerCase()) return true;
  const ca = choice(a);
  const cb = choice(b);
  if (ca && cb && (ca.bare || cb.bare)) return ca.letter === cb.letter;
  const va = evalValue(a);
  const vb = evalValue(b);
  return va !== null && vb !== null && valuesEqual(va, vb, tol);
}

/** `x=3` → `x` and `3` (a short variable name on the left, as verl's strip_string). */
function equation(s: string): { name: string; value: string } | null {
  const m = /^([A-Za-z](?:_\{?\w\}?|[A-Za-z0-9'])?)=([^=]+)$/.exec(s);
  return m ? { name: m[1]!, value: m[2]! } : null;
}

/**
 * Items of a list with `\pm` expanded and the variable dropped where it is the same for all
 * (`x=1, x=2` → `1, 2`), but kept where they differ: `a=1, b=2` is not `a=2, b=1`.
 */
function solutions(items: string[]): string[] {
  const xs = expandPm(items);
  const eqs = xs.map(equation);
  const names = new Set(eqs.map((e) => e?.name ?? ''));
  return names.size === 1 ? xs.map((x, i) => eqs[i]?.value ?? x) : xs;
}

/** A multiple-choice letter: `B`, `(B)` (bare), or `(B)12`, `B.12`, `B)12` (a letter and its value). */
function choice(s: string): { letter: string; bare: boolean } | null {
  const bare = /^\(?([A-Za-z])\)?$/.exec(s);
  if (bare) return { letter: bare[1]!.toUpperCase(), bare: true };
  const labelled = /^(?:\(([A-Za-z])\)|([A-Za-z])[.:)])./.exec(s);
  return labelled ? { letter: (labelled[1] ?? labelled[2])!.toUpperCase(), bare: false } : null;
}

/** `\pm 2` is the two solutions `2` and `-2`; `x=\pm 5` is `x=5` and `x=-5`. */
function expandPm(items: string[]): string[] {
  const PM = /\\(?:pm|mp)(?![A-Za-z])/;
  const unsigned = (x: string) => x.replace(/^\+/, '').replace(/=\+/, '=');
  return items.flatMap((x) => (PM.test(x) ? [unsigned(x.replace(PM, '+')), x.replace(PM, '-')] : [x]));
}

/** Index of the bracket closing the one at `open` (any of `([{`), or -1. */
function closes(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i;
  }
  return -1;
}

/** `s` split on `sep` outside brackets. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && s.startsWith(sep, i)) {
      out.push(s.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  out.push(s.slice(start));
  return out;
}
