// Group advantages by hand. std is the sample std (÷ (G − 1)), as verl and TRL (torch.std).
import { describe, expect, it } from 'vitest';
import { allEqualGroups, groupAdvantages } from '../../../src/runtime/rl/advantage.js';

const close = (got: number[], want: number[], digits = 6): void => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, digits));
};

// Three groups of G = 4.
const rewards = [1, 0, 0, 0, /**/ 2, 2, 2, 2, /**/ 0, 1, 1, 1];

describe('groupAdvantages', () => {
  it('divides by the sample std of each group', () => {
    // Group 1: mean = 1/4 = 0.25; r − mean = [0.75, −0.25, −0.25, −0.25]
    //   Σ(r − mean)² = 0.5625 + 3·0.0625 = 0.75; sample var = 0.75/3 = 0.25; std = 0.5
    //   A = [0.75, −0.25, −0.25, −0.25] / 0.5 = [1.5, −0.5, −0.5, −0.5]
    //   (the population std √(0.75/4) = 0.4330 would give 1.732 instead of 1.5)
    // Group 2: all equal → zeros.
    // Group 3: mean = 0.75; r − mean = [−0.75, 0.25, 0.25, 0.25]; std = 0.5 → [−1.5, 0.5, 0.5, 0.5]
    close(groupAdvantages(rewards, 4, true), [1.5, -0.5, -0.5, -0.5, 0, 0, 0, 0, -1.5, 0.5, 0.5, 0.5], 5);
  });

  it('adds eps to the std', () => {
    // Group 1 with eps = 0.5: 0.75 / (0.5 + 0.5) = 0.75, −0.25 / 1 = −0.25
    close(groupAdvantages([1, 0, 0, 0], 4, true, 0.5), [0.75, -0.25, -0.25, -0.25]);
  });

  it('only subtracts the mean without std scaling (Dr. GRPO)', () => {
    close(groupAdvantages(rewards, 4, false), [0.75, -0.25, -0.25, -0.25, 0, 0, 0, 0, -0.75, 0.25, 0.25, 0.25]);
  });

  it('G = 2 with one right answer: ±(0.5 / 0.7071) = ±0.7071', () => {
    // mean 0.5; sample std = √((0.25 + 0.25)/1) = 0.70711; A = ±0.5/0.70711 = ±0.70711
    close(groupAdvantages([1, 0], 2, true), [Math.SQRT1_2, -Math.SQRT1_2], 5);
  });

  it('gives exact zeros for all-equal groups, even where the float mean is inexact', () => {
    // 0.1 + 0.1 + 0.1 = 0.30000000000000004, / 3 = 0.10000000000000002 ≠ 0.1
    const a = groupAdvantages([0.1, 0.1, 0.1], 3, true);
    expect(a).toEqual([0, 0, 0]);
    expect(groupAdvantages([0.1, 0.1, 0.1], 3, false)).toEqual([0, 0, 0]);
    expect(groupAdvantages([5], 1, true)).toEqual([0]); // a group of one carries no signal
  });

  it('rejects rewards that do not split into groups', () => {
    expect(() => groupAdvantages([1, 0, 1], 2, true)).toThrow(/groups of 2/);
    expect(() => groupAdvantages([1, 0], 0, true)).toThrow(/positive integer/);
  });
});

describe('allEqualGroups', () => {
  it('flags groups with a single value', () => {
    expect(allEqualGroups(rewards, 4)).toEqual([false, true, false]);
    expect(allEqualGroups([0, 0, 1, 1, 1, 0], 2)).toEqual([true, true, false]);
    expect(allEqualGroups([], 4)).toEqual([]);
  });
});
