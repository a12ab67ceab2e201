// Issue 20, item 1: integers and exact values compare exactly; a tolerance is opt-in (default 0,
// also the default of `math_equal`'s `tolerance` key and of `rewards.boxed_math`).
import { describe, expect, it } from 'vitest';
import type { IRReward } from '../../../../src/ir/graph.js';
import { buildRewards } from '../../../../src/runtime/rewards/index.js';
import { mathEqual } from '../../../../src/runtime/rewards/math.js';
import { BASE, compileMem } from '../../../helpers/memory.js';

describe('exact comparison', () => {
  it.each([
    ['10001', '10000'],
    ['123456789012345679', '123456789012345678'],
    ['0.3333', '\\frac{1}{3}'],
    ['3.1416', '\\pi'],
    ['3.0001', '3'],
    ['1.41421356', '\\sqrt{2}'],
    ['0.30000000001', '0.3'],
  ])('rejects the near miss %s for %s', (given, reference) => {
    expect(mathEqual(given, reference)).toBe(false);
    expect(mathEqual(reference, given)).toBe(false);
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
  ])('accepts the exact value %s for %s', (given, reference) => {
    expect(mathEqual(given, reference)).toBe(true);
  });

  it('applies a relative tolerance only when asked', () => {
    expect(mathEqual('10001', '10000', 1e-4)).toBe(true);
    expect(mathEqual('3.1416', '\\pi', 1e-4)).toBe(true);
    expect(mathEqual('3.1416', '\\pi', 1e-7)).toBe(false);
  });

  it('is off by default in the compiled reward and the boxed_math preset', async () => {
    const ir = compileMem(BASE.replace('rewards = [rewards.final_answer]', 'rewards = [rewards.boxed_math]')).ir!;
    const node = ir.nodes.find((n): n is IRReward => n.type === 'reward' && n.name === 'boxed_math')!;
    expect(node.params['tolerance']).toBe(0);
    const set = await buildRewards([node], { baseDir: '/nonexistent' });
    const input = (response: string) => ({ prompt: 'p', response, answer: '10000', truncated: false, length: 1, budget: 100 });
    expect((await set.score([input('\\boxed{10001}'), input('\\boxed{10000}')])).total).toEqual([0, 1]);
  });
});
