// The registered claim (src/report/claim.ts) on made-up comparisons: each rule can be met and can
// fail, so the verdict the experiment prints is not fixed by the code.
import { describe, expect, it } from 'vitest';
import { evaluateClaim } from '../../src/report/claim.js';
import { stat, type Comparison, type PointRow, type Variant } from '../../src/report/compare.js';
import { chainSteps } from '../../src/tools/experiment-testbed.js';

const SEEDS = [1, 2, 3, 4, 5];

/** A point whose greedy and mean@4 cells hold these per-seed accuracies and tokens. */
function point(step: number, when: string, acc: number[], tok: number[], siri?: 'low' | 'high'): PointRow {
  const cell = { accuracy: stat(acc), tokens: stat(tok), by_seed: SEEDS.map((seed, i) => ({ seed, accuracy: acc[i]!, tokens: tok[i]! })) };
  return { step, when, ...(siri ? { siri } : {}), cells: { greedy: cell, 'mean@4': cell } };
}

function variant(name: string, points: PointRow[]): Variant {
  return { name, pipeline: name, overrides: [], seeds: SEEDS, runs: [], columns: ['greedy', 'mean@4'], points };
}

const sft = [0.8, 0.82, 0.78, 0.81, 0.79];
const long = [0.95, 0.97, 0.93, 0.96, 0.94];
const same = (xs: number[], d = 0): number[] => xs.map((x, i) => x + d + (i % 2 ? 0.005 : -0.005));

function comparison(o: { longEnd?: number[]; low: number[]; high: number[]; lowTok: number; longTok?: number }): Comparison {
  const fixed = variant('fixed_long', [point(400, 'after SFT', sft, [30, 30, 30, 30, 30]), point(440, 'end', o.longEnd ?? long, Array(5).fill(o.longTok ?? 40))]);
  const siri = variant('siri', [point(430, 'compress-2 end', o.low, Array(5).fill(o.lowTok), 'low'), point(440, 'end', o.high, Array(5).fill(38), 'high')]);
  return { variants: [fixed, siri], problems: [] };
}

describe('the registered claim', () => {
  it('SIRI wins: SIRI-low as accurate as fixed-long at 25 % fewer tokens', () => {
    const r = evaluateClaim(comparison({ low: same(long), high: same(long), lowTok: 30 }));
    expect(r.precondition.holds).toBe(true);
    expect(r.tokens.map((t) => t.verdict)).toEqual(['SIRI wins', 'SIRI wins']);
    expect(r.tokens[0]!.saving).toBeCloseTo(0.25, 12);
    expect(r.siri_low.step).toBe(430);
    expect(r.siri_low.baseline_step).toBe(440);
  });

  it('SIRI wins: SIRI-high above fixed-long by more than one s.e., tokens the same', () => {
    const r = evaluateClaim(comparison({ low: same(long), high: same(long, 0.03), lowTok: 40 }));
    expect(r.tokens[0]!.rules.win_high).toBe(true);
    expect(r.tokens[0]!.verdict).toBe('SIRI wins');
  });

  it('SIRI loses: SIRI-low below fixed-long by more than one s.e.', () => {
    const r = evaluateClaim(comparison({ low: same(long, -0.05), high: same(long), lowTok: 20 }));
    expect(r.tokens[0]!.rules.lose_low).toBe(true);
    expect(r.tokens[0]!.verdict).toBe('SIRI loses');
  });

  it('SIRI loses: tokens within 20 % and no accuracy gain', () => {
    const r = evaluateClaim(comparison({ low: same(long), high: same(long), lowTok: 36 }));
    expect(r.tokens[0]!.rules).toEqual({ win_low: false, win_high: false, lose_low: false, lose_tokens: true });
    expect(r.tokens[0]!.verdict).toBe('SIRI loses');
  });

  it('no answer: a win rule and a loss rule at once', () => {
    const r = evaluateClaim(comparison({ low: same(long, -0.05), high: same(long, 0.03), lowTok: 40 }));
    expect(r.tokens[0]!.rules.win_high && r.tokens[0]!.rules.lose_low).toBe(true);
    expect(r.tokens[0]!.verdict).toBe('no answer');
  });

  it('no answer: fixed-long does not beat SFT outside the seed spread', () => {
    const r = evaluateClaim(comparison({ longEnd: [0.84, 0.76, 0.86, 0.75, 0.83], low: same(long), high: same(long), lowTok: 30 }));
    expect(r.precondition.holds).toBe(false);
    expect(r.tokens.map((t) => t.verdict)).toEqual(['no answer', 'no answer']);
    expect(r.tokens[0]!.why).toContain('precondition fails');
  });

  it('says what is missing instead of guessing', () => {
    const c = comparison({ low: same(long), high: same(long), lowTok: 30 });
    expect(() => evaluateClaim(c, { siri: 'siri_low32' })).toThrow(/no variant `siri_low32` among: fixed_long, siri/);
    c.variants[1]!.points.forEach((p) => delete p.siri);
    expect(() => evaluateClaim(c)).toThrow(/no eval at a SIRI-low or SIRI-high checkpoint/);
  });
});

describe('chainSteps', () => {
  it('reads a tasks.chain problem\'s steps from its first count', () => {
    expect(chainSteps('4:3 3:5\n')).toBe(3);
    expect(chainSteps('9:1 8:5')).toBe(8);
    expect(chainSteps('What is 2+2?')).toBeUndefined();
  });
});
