// Issue 20, item 1: integers and exact values compare exactly; a tolerance is opt-in (default 0,
// also the default of `math_equal`'s `tolerance` key and so of `rewards.boxed_math`). The cases go
// through the compiled preset, as a run scores them.
import { beforeAll, describe, expect, it } from 'vitest';
import type { IRReward } from '../../../../src/ir/graph.js';
import { buildRewards } from '../../../../src/runtime/rewards/index.js';
import type { RewardSet } from '../../../../src/runtime/types.js';
import { mathEqual } from '../../../../src/runtime/rewards/math.js';
import { BASE, compileMem } from '../../../helpers/memory.js';

let preset: IRReward;
let boxedMath: RewardSet;
beforeAll(async () => {
  const ir = compileMem(BASE.replace('rewards = [rewards.final_answer]', 'rewards = [rewards.boxed_math]')).ir!;
  preset = ir.nodes.find((n): n is IRReward => n.type === 'reward' && n.name === 'boxed_math')!;
  boxedMath = await buildRewards([preset], { baseDir: '/nonexistent' });
});

/** rewards.boxed_math's score of `\boxed{given}` against `reference`. */
async function score(given: string, reference: string): Promise<number> {
  const input = { prompt: 'p', response: `So the answer is $\\boxed{${given}}$.`, answer: reference, truncated: false, length: 1, budget: 100 };
  return (await boxedMath.score([input])).total[0]!;
}

describe('exact comparison', () => {
  it('has no tolerance by default', () => expect(preset.params['tolerance']).toBe(0));

  it.each([
    ['10001', '10000'],
    ['99999', '100000'],
    ['123456789012345679', '123456789012345678'],
    ['0.3333', '\\frac{1}{3}'],
    ['3.1416', '\\pi'],
    ['3.0001', '3'],
    ['1.41421356', '\\sqrt{2}'],
    ['5000.5', '5000'],
  ])('rejects the near miss %s for %s', async (given, reference) => {
    expect(await score(given, reference)).toBe(0);
    expect(await score(reference, given)).toBe(0);
  });

  it.each([
    ['0.5', '\\frac{1}{2}'],
    ['0.125', '\\frac18'],
    ['2.50', '\\frac{5}{2}'],
    ['1.5e6', '1500000'],
    ['\\sqrt{8}', '2\\sqrt{2}'],
    ['\\frac{1}{\\sqrt{2}}', '\\frac{\\sqrt{2}}{2}'],
    ['2^{10}', '1024'],
    ['\\sqrt[3]{27}', '3'],
    ['10000', '10000'],
  ])('accepts the exact value %s for %s', async (given, reference) => {
    expect(await score(given, reference)).toBe(1);
  });

  it('applies a relative tolerance only when asked', () => {
    expect(mathEqual('10001', '10000')).toBe(false);
    expect(mathEqual('10001', '10000', 1e-4)).toBe(true);
    expect(mathEqual('3.1416', '\\pi', 1e-4)).toBe(true);
    expect(mathEqual('3.1416', '\\pi', 1e-7)).toBe(false);
  });
});
