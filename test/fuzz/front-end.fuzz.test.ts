// The front end (check's phases and fmt) on mutated examples and stdlib files: byte, character and
// token edits, splices, Object.prototype names, deep nesting and huge literals (src/tools/
// fuzz-mutations.ts). No case may throw, report E0999, format non-idempotently or take more than
// the time bound. `npm run fuzz` runs the same cases by the hundred thousand.
// SIRIC_FUZZ_SEED and SIRIC_FUZZ_SCALE work as in compiler.fuzz.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzCase, fuzzCorpus, fuzzOne } from '../../src/tools/fuzz.js';
import { MUTATION_KINDS, mutate, PROTO_NAMES, rng, tokenize } from '../../src/tools/fuzz-mutations.js';

const SEED_ENV = process.env['SIRIC_FUZZ_SEED'];
const seed = SEED_ENV === undefined ? 7 : SEED_ENV === 'random' ? (Math.random() * 2 ** 31) | 0 : Number(SEED_ENV);
const SCALE = Math.max(0.1, Number(process.env['SIRIC_FUZZ_SCALE'] ?? '1') || 1);
const BOUND_MS = 5000;
const corpus = fuzzCorpus();

describe('front-end fuzz (check and fmt, in-process)', () => {
  it('the tokenizer of the mutator is lossless and every mutation kind changes something', () => {
    const r = rng(1);
    for (const f of corpus) {
      expect(tokenize(f.text).join('')).toBe(f.text);
      for (const k of MUTATION_KINDS) expect(typeof mutate(f.text, corpus[0]!.text, k, r, 1000)).toBe('string');
    }
    expect(mutate(corpus[0]!.text, '', 'proto', rng(3))).toMatch(new RegExp(PROTO_NAMES.map((n) => `\\b${n}\\b`).join('|')));
  });

  it('mutated files never make check or fmt throw, and answer within the bound', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.nat(), (index) => {
        const c = fuzzCase(corpus, seed, index);
        const t = performance.now();
        const why = fuzzOne(c.rel, c.text);
        const ms = performance.now() - t;
        expect(why, `seed ${seed} index ${index} (${c.kind} of ${c.rel})`).toBeUndefined();
        expect(ms, `seed ${seed} index ${index} (${c.kind} of ${c.rel}) took ${ms} ms`).toBeLessThan(BOUND_MS);
      }),
      { numRuns: Math.round(1200 * SCALE), seed },
    );
  });
});
