// Issue 20, items 3 and 4: the answer label fallback, empty boxes and boxes in code, hedges.
import { describe, expect, it } from 'vitest';
import { extractMathAnswer, mathEqual } from '../../../../src/runtime/rewards/math.js';

describe('the answer label fallback', () => {
  it.each([
    ['answer: 5', '5'],
    ['Answer : 5', '5'],
    ['**Answer:** 5', '5'],
    ['**Answer**: 5', '5'],
    ['ANSWER: 5', '5'],
    ['Final answer: 5', '5'],
    ['Final Answer: The final answer is $5$. I hope it is correct.', '5'],
    ['The final answer is $\\frac{1}{2}$. I hope it is correct.', '\\frac{1}{2}'],
    ['So the answer is 9, since 3 squared is 9.', '9'],
    ['Answer:\n\n12', '12'],
    ['12 + 30 = 42\n#### 42', '42'],
    ['Answer: 3\nwait, no.\nAnswer: 4.', '4'],
  ])('reads %j', (response, answer) => {
    expect(extractMathAnswer(response)).toBe(answer);
  });

  it('finds nothing without a label or a box', () => {
    expect(extractMathAnswer('The area is 25 square units.')).toBeNull();
    expect(extractMathAnswer('Answer - 5')).toBeNull();
  });
});

describe('boxes', () => {
  it('ignores an empty box after the answer', () => {
    expect(extractMathAnswer('The answer is $\\boxed{5}$.\n\nPut your final answer in \\boxed{}.')).toBe('5');
    expect(extractMathAnswer('So \\boxed{12}. \\boxed{ }')).toBe('12');
    expect(extractMathAnswer('The answer is $\\boxed{}$.')).toBeNull();
  });

  it('ignores boxes inside code', () => {
    expect(extractMathAnswer('The answer is \\boxed{7}.\n\n```latex\n\\boxed{answer}\n```')).toBe('7');
    expect(extractMathAnswer('The answer is \\boxed{7}. Format: `\\boxed{your answer}`')).toBe('7');
    expect(extractMathAnswer('```\n\\boxed{9}\n```')).toBeNull();
  });

  it('gives no answer for a hedge between two different boxed answers', () => {
    expect(extractMathAnswer('It is either \\boxed{5} or \\boxed{6}.')).toBeNull();
    expect(extractMathAnswer('First \\boxed{3}. Wait, actually \\boxed{4}.')).toBeNull();
  });

  it('accepts the same answer boxed twice, in any spelling', () => {
    expect(extractMathAnswer('Hence \\boxed{8}.\n\n**Final Answer**\n\\boxed{8}')).toBe('8');
    const got = extractMathAnswer('Hence \\boxed{\\frac12}. Final: \\boxed{0.5}');
    expect(got !== null && mathEqual(got, '\\frac{1}{2}')).toBe(true);
  });
});
