// math_equal: is a model's final answer the same as the reference? The answer is the last
// `\boxed{...}` (else the text after the last `Answer:`). Both sides are normalised the way the
// public graders do (verl's hendrycks/minerva `strip_string`, open-r1's math_verify): `\dfrac`,
// `\left`, `$`, `%`, degrees, `\text{...}` units and spaces go away. Then they are compared as
// numbers when both evaluate (fractions, `a/b`, roots, powers, `\pi`), else as strings, and
// tuples/lists element by element. No symbolic algebra: `a+b` and `b+a` differ.

/** The content of the last complete `\boxed{...}` / `\fbox{...}` (nested braces kept), or `\boxed 5`. */
export function lastBoxed(s: string): string | null {
  let found: string | null = null;
  for (const m of s.matchAll(/\\(?:boxed|fbox)(?![A-Za-z])/g)) {
    let i = m.index! + m[0].length;
    while (s[i] === ' ') i++;
    if (s[i] === '{') {
      const end = closingBrace(s, i);
      if (end >= 0) found = s.slice(i + 1, end);
    } else if (i > m.index! + m[0].length) {
      // `\boxed 5`: one token, up to a space or `$`.
      const tok = /^[^\s$]+/.exec(s.slice(i));
      if (tok) found = tok[0];
    }
  }
  return found;
}

/** Index of the `}` matching the `{` at `open`, or -1 if it is never closed. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '\\') {
      i++; // `\{` and `\}` are literal braces
      continue;
    }
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** The final answer of a response: the last `\boxed{}`, else the last `Answer: x`. */
export function extractMathAnswer(response: string): string | null {
  const boxed = lastBoxed(response);
  if (boxed !== null) return boxed;
  const m = [...response.matchAll(/Answer:\s*(.+)/g)].at(-1);
  return m ? m[1]!.trim().replace(/\.$/, '') : null;
}

const TEXT = String.raw`\\(?:text|textbf|textrm|mathrm|mbox)\{([^{}]*)\}`;

/** A canonical spelling: what two equal answers written differently have in common. */
export function normalizeMath(input: string): string {
  let s = input.trim();
  const boxed = lastBoxed(s);
  if (boxed !== null && /^\\(?:boxed|fbox)/.test(s)) s = boxed;
  s = s
    .replace(/\\[!,;: ]/g, '') // thin spaces
    .replace(/\\displaystyle/g, '')
    .replace(/\\[dt]frac(?![A-Za-z])/g, '\\frac')
    .replace(/\\(?:left|right)(?![A-Za-z])/g, '')
    .replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°/g, '') // degrees
    .replace(/\\?\$/g, '')
    .replace(/\\?%/g, '');
  // `\text{(B)}` alone is the answer; `5\text{ cm}` is a number with a unit.
  const whole = new RegExp(`^\\s*${TEXT}\\s*$`).exec(s);
  s = whole ? whole[1]! : s.replace(new RegExp(`${TEXT}(\\^\\{?\\d\\}?)?\\s*$`), '');
  s = s.replace(/\s+/g, '').replace(/\.$/, '');
  // `x=3` → `3` (a short variable name on the left, as verl's strip_string).
  const eq = /^[A-Za-z][A-Za-z0-9']?=([^=]+)$/.exec(s);
  if (eq) s = eq[1]!;
  // `\frac12` → `\frac{1}{2}`, `\sqrt2` → `\sqrt{2}` (one-character arguments without braces).
  s = s.replace(/\\frac([0-9A-Za-z])([0-9A-Za-z])/g, '\\frac{$1}{$2}').replace(/\\frac(\{[^{}]*\})([0-9A-Za-z])/g, '\\frac$1{$2}').replace(/\\frac([0-9A-Za-z])\{/g, '\\frac{$1}{');
  s = s.replace(/\\sqrt([0-9A-Za-z])/g, '\\sqrt{$1}');
  s = s.replace(/\{,\}/g, ',');
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, ''); // 1,000 and 1{,}000 → 1000
  s = s.replace(/^(-?\d+)\.0+$/, '$1'); // 3.0 → 3
  return s;
}

/** Equal as numbers within a relative tolerance, else as normalised strings, else as lists. */
export function mathEqual(given: string, reference: string, tolerance: number): boolean {
  const a = normalizeMath(given);
  const b = normalizeMath(reference);
  if (a === '') return false;
  if (itemEqual(a, b, tolerance)) return true;
  const la = splitList(a);
  const lb = splitList(b);
  if (!la || !lb || la.open !== lb.open || la.close !== lb.close || la.items.length !== lb.items.length) return false;
  return la.items.every((x, i) => itemEqual(x, lb.items[i]!, tolerance));
}

function itemEqual(a: string, b: string, tolerance: number): boolean {
  if (a === b) return true;
  const x = evalMath(a);
  const y = evalMath(b);
  if (x === null || y === null) return false;
  // Relative, with a tiny floor so `tolerance = 0` still forgives float rounding.
  return x === y || Math.abs(x - y) <= Math.max(tolerance, 1e-12) * Math.max(Math.abs(x), Math.abs(y));
}

/** `(1,2)`, `[1,2)`, `1,2`: the top-level comma-separated items and the brackets around them. */
function splitList(s: string): { open: string; close: string; items: string[] } | null {
  let open = '';
  let close = '';
  if (/^[([]/.test(s) && /[)\]]$/.test(s)) [open, close, s] = [s[0]!, s.at(-1)!, s.slice(1, -1)];
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ('({['.includes(c)) depth++;
    else if (')}]'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      items.push(s.slice(start, i));
      start = i + 1;
    }
  }
  items.push(s.slice(start));
  return items.length > 1 || open ? { open, close, items } : null;
}

/**
 * The value of a normalised answer, or null when it is not a plain number expression. Grammar:
 * sum := product (± product)*; product := unary ((* | \cdot | \times | / | \div)? unary)*
 * (juxtaposition only before `\frac`, `\sqrt`, `\pi` and brackets: `2\sqrt{3}`);
 * unary := ± unary | power; power := atom (^ atom)?; atom := number | \frac{}{} | \sqrt[n]{} |
 * \pi | (sum) | {sum}.
 */
export function evalMath(s: string): number | null {
  const p = new Parser(s);
  try {
    const v = p.sum();
    return p.done() && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i === this.s.length;
  }

  private eat(tok: string): boolean {
    if (!this.s.startsWith(tok, this.i)) return false;
    // `\pi` must not be the start of `\pie`
    if (/^\\[A-Za-z]+$/.test(tok) && /[A-Za-z]/.test(this.s[this.i + tok.length] ?? '')) return false;
    this.i += tok.length;
    return true;
  }

  private expect(tok: string): void {
    if (!this.eat(tok)) throw new Error(`expected ${tok}`);
  }

  sum(): number {
    let v = this.product();
    for (;;) {
      if (this.eat('+')) v += this.product();
      else if (this.eat('-')) v -= this.product();
      else return v;
    }
  }

  private product(): number {
    let v = this.unary();
    for (;;) {
      if (this.eat('*') || this.eat('\\cdot') || this.eat('\\times')) v *= this.unary();
      else if (this.eat('/') || this.eat('\\div')) v /= this.unary();
      else if (/^(\\frac|\\sqrt|\\pi|\(|\{)/.test(this.s.slice(this.i))) v *= this.unary();
      else return v;
    }
  }

  private unary(): number {
    if (this.eat('-')) return -this.unary();
    if (this.eat('+')) return this.unary();
    const base = this.atom();
    return this.eat('^') ? base ** this.atom() : base;
  }

  private atom(): number {
    const num = /^(\d+\.?\d*|\.\d+)/.exec(this.s.slice(this.i));
    if (num) {
      this.i += num[0].length;
      return Number(num[0]);
    }
    if (this.eat('\\frac')) {
      const a = this.group();
      return a / this.group();
    }
    if (this.eat('\\sqrt')) {
      let n = 2;
      if (this.eat('[')) {
        n = this.sum();
        this.expect(']');
      }
      const x = this.group();
      return n === 3 ? Math.cbrt(x) : x ** (1 / n);
    }
    if (this.eat('\\pi')) return Math.PI;
    if (this.eat('(')) {
      const v = this.sum();
      this.expect(')');
      return v;
    }
    return this.group();
  }

  private group(): number {
    this.expect('{');
    const v = this.sum();
    this.expect('}');
    return v;
  }
}
