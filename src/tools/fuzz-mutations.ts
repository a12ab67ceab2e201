// Mutations of .siri text for fuzzing the front end, driven by a seeded PRNG so every case can be
// replayed from (seed, index): byte, character and token edits, splices of two files, names of
// Object.prototype members, deep nesting and huge literals. Used by `npm run fuzz` and the tests.

/** mulberry32: small, fast, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', 'prototype'];
const TOKENS = ['{', '}', '[', ']', '(', ')', '=', ',', '.', '..', '->', 'with', 'import', 'repeat', 'phase', 'steps', 'max_tokens', '1', '0', '-1', '8k', '1K', '2M', '1e400', '"x"', '"{q}"', '"', "'", ':', '#', '\n', ' ', '@', '\u0000', '\uFEFF', '\uD800', 'é', 'repeat 1000 {', 'phse a { steps = 1 }'];

/** Tokens of .siri text, whitespace and comments included: joining them gives the text back. */
export function tokenize(text: string): string[] {
  return text.match(/\s+|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\\n]|\\.)*"?|-?[0-9][0-9_.eE+-]*[kM]?|->|\.\.|[^]/gu) ?? [];
}

export type MutationKind = 'bytes' | 'chars' | 'tokens' | 'splice' | 'proto' | 'nesting' | 'huge';
export const MUTATION_KINDS: readonly MutationKind[] = ['bytes', 'chars', 'tokens', 'splice', 'proto', 'nesting', 'huge'];

/** One mutated file from `base` (and `other` for splices). `huge` sizes stay at `hugeChars`. */
export function mutate(base: string, other: string, kind: MutationKind, r: () => number, hugeChars = 200_000): string {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  switch (kind) {
    case 'bytes': {
      // Flip, insert or delete raw bytes, then decode leniently as the loader's error path does.
      const b = [...Buffer.from(base, 'utf8')];
      for (let k = 1 + int(4); k > 0; k--) {
        const at = int(b.length + 1);
        const op = int(3);
        if (op === 0 && b.length) b[Math.min(at, b.length - 1)] = int(256);
        else if (op === 1) b.splice(at, 0, int(256));
        else b.splice(at, 1 + int(8));
      }
      return Buffer.from(b).toString('utf8');
    }
    case 'chars': {
      const c = [...base];
      for (let k = 1 + int(4); k > 0; k--) {
        const at = int(c.length + 1);
        const op = int(3);
        if (op === 0) c.splice(at, 1 + int(20));
        else if (op === 1) c.splice(at, 0, ...c.slice(at, at + 1 + int(40)));
        else c.splice(at, 0, pick(TOKENS));
      }
      return c.join('');
    }
    case 'tokens': {
      const t = tokenize(base);
      for (let k = 1 + int(4); k > 0; k--) {
        const at = int(t.length + 1);
        const op = int(4);
        if (op === 0) t.splice(at, 1 + int(6));
        else if (op === 1) t.splice(at, 0, ...t.slice(at, at + 1 + int(6)));
        else if (op === 2) t.splice(at, 1, pick(TOKENS));
        else t.splice(at, 0, ` ${pick(TOKENS)} `);
      }
      return t.join('');
    }
    case 'splice': {
      const a = int(base.length + 1);
      const b = int(other.length + 1);
      return base.slice(0, a) + other.slice(b, b + int(other.length - b + 1));
    }
    case 'proto': {
      // Every name token becomes a prototype member with some probability.
      const p = 0.05 + r() * 0.3;
      return tokenize(base)
        .map((t) => (/^[A-Za-z_]/.test(t) && r() < p ? pick(PROTO_NAMES) : t))
        .join('');
    }
    case 'nesting': {
      const depth = 1 + int(100);
      const open = pick(['[', '(', '{ x = ', 'repeat 10 {\n', 'a with {} ', '[[', '"{']);
      const close = open === '[' ? ']' : open === '(' ? ')' : open === '[[' ? ']]' : open === '"{' ? '}"' : open.includes('{') ? '}' : '';
      const inner = open.startsWith('repeat') ? 'phase a { steps = 1\nmax_tokens = 8 }' : '1';
      const blob = open.repeat(depth) + inner + (r() < 0.8 ? close.repeat(depth) : '');
      const at = int(base.length + 1);
      return base.slice(0, at) + blob + base.slice(at);
    }
    case 'huge': {
      const n = Math.floor(hugeChars * (0.2 + r()));
      const blob = pick([`"${'a'.repeat(n)}"`, '9'.repeat(n), 'x'.repeat(n), `# ${'c'.repeat(n)}`, `"${'\\"'.repeat(n >> 1)}`, '@'.repeat(n), ' 1,'.repeat(n >> 5)]);
      const t = tokenize(base);
      const at = int(t.length + 1);
      t.splice(at, 0, ` ${blob} `);
      return t.join('');
    }
  }
}
