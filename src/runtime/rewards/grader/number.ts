// The value of a normalised answer. Integers, decimals, fractions and their sums, products and
// integer powers stay exact (BigInt rationals), so `10001` ≠ `10000` and `0.3333` ≠ `1/3`; roots
// that are not perfect and `\pi` make a float, compared to float rounding only.

/** An exact rational n/d (d > 0, not reduced), or a real known only as a float. */
export type Value = { q: true; n: bigint; d: bigint } | { q: false; v: number };

// Bounds that keep every input fast: beyond them a value becomes a float or the parse fails.
const MAX_BITS = 4096;
const MAX_DEPTH = 200;

const rat = (n: bigint, d = 1n): Value => (d < 0n ? { q: true, n: -n, d: -d } : { q: true, n, d });
const real = (v: number): Value => ({ q: false, v });

export function toNumber(x: Value): number {
  return x.q ? Number(x.n) / Number(x.d) : x.v;
}

function bits(n: bigint): number {
  return (n < 0n ? -n : n).toString(16).length * 4;
}

/** Keeps a rational exact while it is small enough to compute with quickly. */
function fit(x: Value): Value {
  if (!x.q) return x;
  if (bits(x.n) > MAX_BITS || bits(x.d) > MAX_BITS) return real(toNumber(x));
  return x;
}

function add(a: Value, b: Value): Value {
  return a.q && b.q ? fit(rat(a.n * b.d + b.n * a.d, a.d * b.d)) : real(toNumber(a) + toNumber(b));
}
function neg(a: Value): Value {
  return a.q ? rat(-a.n, a.d) : real(-a.v);
}
function mul(a: Value, b: Value): Value {
  return a.q && b.q ? fit(rat(a.n * b.n, a.d * b.d)) : real(toNumber(a) * toNumber(b));
}
function div(a: Value, b: Value): Value {
  if (b.q) {
    if (b.n === 0n) throw new Error('division by zero');
    return a.q ? fit(rat(a.n * b.d, a.d * b.n)) : real(a.v / toNumber(b));
  }
  return real(toNumber(a) / b.v);
}

/** `a^b`: exact for a rational base and a small integer exponent. */
function pow(a: Value, b: Value): Value {
  if (a.q && b.q && b.d === 1n && bits(a.n) * Math.abs(Number(b.n)) <= MAX_BITS && bits(a.d) * Math.abs(Number(b.n)) <= MAX_BITS) {
    const e = b.n < 0n ? -b.n : b.n;
    const r = rat(a.n ** e, a.d ** e);
    return b.n < 0n ? div(rat(1n), r) : r;
  }
  return real(toNumber(a) ** toNumber(b));
}

/** The exact k-th root of a non-negative integer, or null. */
function intRoot(n: bigint, k: number): bigint | null {
  if (n < 0n) return null;
  const guess = BigInt(Math.round(Number(n) ** (1 / k)));
  for (const r of [guess - 1n, guess, guess + 1n]) if (r >= 0n && r ** BigInt(k) === n) return r;
  return null;
}

function root(x: Value, k: number): Value {
  if (x.q && Number.isInteger(k) && k >= 2 && k <= 64) {
    const n = intRoot(x.n, k);
    const d = intRoot(x.d, k);
    if (n !== null && d !== null) return rat(n, d);
    if (x.n < 0n && k % 2 === 1) {
      const m = intRoot(-x.n, k);
      if (m !== null && d !== null) return rat(-m, d);
    }
  }
  const v = toNumber(x);
  return real(k === 3 ? Math.cbrt(v) : v ** (1 / k));
}

/** `12.5`, `.5`, `1.5e6` as an exact rational. */
export function decimal(text: string): Value {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!m) throw new Error(`not a number: ${text}`);
  const frac = m[2] ?? '';
  let v = rat(BigInt((m[1] || '0') + frac), 10n ** BigInt(frac.length));
  const exp = Number(m[3] ?? 0);
  if (Math.abs(exp) > 400) throw new Error('exponent too large');
  if (exp) v = mul(v, pow(rat(10n), rat(BigInt(exp))));
  return v;
}

/**
 * Equal as values: two rationals exactly; otherwise as floats, within `tolerance` relative (the
 * opt-in tolerance) or, when it is 0, within float rounding (1e-12), which no written-out decimal
 * approximation of an irrational reaches.
 */
export function valuesEqual(a: Value, b: Value, tolerance = 0): boolean {
  if (a.q && b.q && tolerance === 0) return a.n * b.d === b.n * a.d;
  const x = toNumber(a);
  const y = toNumber(b);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  return x === y || Math.abs(x - y) <= Math.max(tolerance, 1e-12) * Math.max(Math.abs(x), Math.abs(y));
}

/**
 * The value of a normalised answer, or null when it is not a plain number expression. Grammar:
 * sum := product (± product)*; product := unary ((* | \cdot | \times | / | \div)? unary)*
 * (juxtaposition only before `\frac`, `\sqrt`, `\pi` and brackets: `2\sqrt{3}`);
 * unary := ± unary | power; power := atom (^ atom)?; atom := number | \frac{}{} | \sqrt[n]{} |
 * \pi | (sum) | {sum}.
 */
export function evalValue(s: string): Value | null {
  const p = new Parser(s);
  try {
    const v = p.sum();
    if (!p.done()) return null;
    return v.q || Number.isFinite(v.v) ? v : null;
  } catch {
    return null;
  }
}

/** The value as a float (null when it is not a number expression). */
export function evalMath(s: string): number | null {
  const v = evalValue(s);
  return v === null ? null : toNumber(v);
}

class Parser {
  private i = 0;
  private depth = 0;
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

  sum(): Value {
    if (++this.depth > MAX_DEPTH) throw new Error('too deep');
    let v = this.product();
    for (;;) {
      if (this.eat('+')) v = add(v, this.product());
      else if (this.eat('-')) v = add(v, neg(this.product()));
      else break;
    }
    this.depth--;
    return v;
  }

  private product(): Value {
    let v = this.unary();
    for (;;) {
      if (this.eat('*') || this.eat('\\cdot') || this.eat('\\times')) v = mul(v, this.unary());
      else if (this.eat('/') || this.eat('\\div')) v = div(v, this.unary());
      else if (/^(\\frac|\\sqrt|\\pi|\(|\{)/.test(this.s.slice(this.i, this.i + 5))) v = mul(v, this.unary());
      else return v;
    }
  }

  private unary(): Value {
    if (++this.depth > MAX_DEPTH) throw new Error('too deep');
    let v: Value;
    if (this.eat('-')) v = neg(this.unary());
    else if (this.eat('+')) v = this.unary();
    else {
      const base = this.atom();
      v = this.eat('^') ? pow(base, this.exponent()) : base;
    }
    this.depth--;
    return v;
  }

  /** `^2`, `^{-1}`, and `^-1` without braces. */
  private exponent(): Value {
    return this.eat('-') ? neg(this.exponent()) : this.atom();
  }

  private atom(): Value {
    const num = /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (num) {
      this.i += num[0].length;
      return decimal(num[0]);
    }
    if (this.eat('\\frac')) {
      const a = this.group();
      return div(a, this.group());
    }
    if (this.eat('\\sqrt')) {
      let k = 2;
      if (this.eat('[')) {
        k = toNumber(this.sum());
        this.expect(']');
      }
      return root(this.group(), k);
    }
    if (this.eat('\\pi')) return real(Math.PI);
    if (this.eat('(')) {
      const v = this.sum();
      this.expect(')');
      return v;
    }
    return this.group();
  }

  private group(): Value {
    this.expect('{');
    const v = this.sum();
    this.expect('}');
    return v;
  }
}
