// math_equal against a table of answer pairs. Where the public graders disagree we follow the
// more forgiving one when the answers are numerically equal, and document each such choice:
//   verl's math grader (hendrycks `is_equiv` over `strip_string`) compares strings only, so it
//     rejects `0.5` vs `\frac{1}{2}`; math_verify (open-r1) evaluates both and accepts. We accept.
//   `\dfrac12` vs `\frac{1}{2}`: both graders fix brace-less fractions. We accept.
//   `x=3` vs `3`: strip_string drops a short variable on the left; math_verify compares the right
//     side of an equation. We accept (variable names of at most two characters).
//   `10\%` vs `10`: both drop the percent sign. We accept; `10\%` vs `0.1` we reject (math_verify
//     may accept it: we read the number as written, without the percent).
//   `a+b` vs `b+a`: math_verify proves it with sympy; we do no algebra and reject, as verl.
//   `3\frac{1}{2}`: the mixed number 3.5 (an integer right before a fraction of integers).
//   Numbers compare exactly (no tolerance unless asked for): `\sqrt{2}` vs `1.41421356` differ.
import { describe, expect, it } from 'vitest';
import { evalMath, extractMathAnswer, lastBoxed, mathEqual, normalizeMath } from '../../../src/runtime/rewards/math.js';


// [model's boxed answer, reference, equal?]
const TABLE: [string, string, boolean][] = [
  // numbers written differently
  ['\\frac{1}{2}', '0.5', true],
  ['0.5', '\\frac{1}{2}', true],
  ['\\dfrac12', '\\frac{1}{2}', true],
  ['\\dfrac12', '0.5', true],
  ['\\tfrac{3}{4}', '0.75', true],
  ['3/4', '\\frac{3}{4}', true],
  ['\\frac{2}{4}', '\\frac{1}{2}', true],
  ['-\\frac{1}{2}', '-0.5', true],
  ['\\frac{-1}{2}', '-0.5', true],
  ['3.0', '3', true],
  ['3.', '3', true],
  ['1,000', '1000', true],
  ['1{,}000', '1000', true],
  ['1,5', '15', false], // not a thousands separator: a list
  ['.5', '0.5', true],
  ['2^{10}', '1024', true],
  // units, percent, degrees, dollars, spacing
  ['10\\%', '10', true],
  ['10%', '10', true],
  ['10\\%', '0.1', false],
  ['30^\\circ', '30', true],
  ['30^{\\circ}', '30', true],
  ['\\$5', '5', true],
  ['5\\text{ cm}', '5', true],
  ['5 \\text{ cm}^2', '5', true],
  ['\\text{(B)}', '(B)', true],
  ['\\mathrm{B}', 'B', true],
  ['\\left( 3, 4 \\right)', '(3,4)', true],
  ['- 5', '-5', true],
  ['\\displaystyle\\frac{1}{3}', '\\frac13', true],
  // equations
  ['x=3', '3', true],
  ['x = 3', '3', true],
  ['x=3', '4', false],
  ['y=2x+1', '2x+1', true],
  // roots, pi, nested
  ['\\sqrt{2}', '1.41421356', false], // a rounded root
  ['\\sqrt2', '\\sqrt{2}', true],
  ['\\sqrt{2}', '1.41', false],
  ['\\frac{\\sqrt{3}}{2}', '\\frac{\\sqrt3}{2}', true],
  ['\\frac{\\sqrt{3}}{2}', '0.8660254', false],
  ['\\frac{\\sqrt{3}}{2}', '\\frac{\\sqrt{2}}{2}', false],
  ['2\\sqrt{3}', '\\sqrt{12}', true],
  ['\\sqrt[3]{8}', '2', true],
  ['\\frac{\\sqrt{2}}{2}', '\\sqrt{2}/2', true],
  ['2\\pi', '6.283185307', false],
  ['\\pi', '3.14', false],
  ['\\frac{\\pi}{2}', '\\frac{1}{2}\\pi', true],
  // lists and intervals
  ['(1, 2)', '(1,2)', true],
  ['(1,2)', '(2,1)', false],
  ['[1,2)', '(1,2)', false],
  ['\\frac12, 3', '0.5,3', true],
  ['(0.5,\\sqrt{4})', '(\\frac{1}{2},2)', true],
  // not numbers
  ['\\infty', '\\infty', true],
  ['x^2+1', 'x^{2}+1', true], // the same spelling once `^{2}` is `^2`
  ['a+b', 'b+a', false],
  ['\\text{A}', 'A', true],
  ['A', 'B', false],
  // wrong answers
  ['5', '6', false],
  ['12', '1.2', false],
  ['-3', '3', false],
  ['\\frac{1}{3}', '0.333', false],
  ['3\\frac{1}{2}', '\\frac{7}{2}', true], // a mixed number, see above
];

describe('mathEqual table', () => {
  it('has at least 30 pairs', () => expect(TABLE.length).toBeGreaterThanOrEqual(30));

  it.each(TABLE)('\\boxed{%s} vs %s → %s', (given, reference, want) => {
    const answer = extractMathAnswer(`Some work. The answer is $\\boxed{${given}}$.`);
    expect(answer).toBe(given);
    expect(mathEqual(answer!, reference)).toBe(want);
  });

  it('is symmetric on the table', () => {
    for (const [a, b, want] of TABLE) expect(mathEqual(b, a), `${b} vs ${a}`).toBe(want);
  });

  it('uses a relative tolerance only when one is given', () => {
    expect(mathEqual('1000.05', '1000')).toBe(false);
    expect(mathEqual('1000.05', '1000', 1e-4)).toBe(true); // 5e-5 relative
    expect(mathEqual('0.00105', '0.001', 1e-4)).toBe(false); // tiny numbers still differ
    expect(mathEqual('\\frac{1}{3}', '0.3333', 1e-3)).toBe(true);
    expect(mathEqual('\\frac{1}{3}', '0.3333', 0)).toBe(false);
    expect(mathEqual('\\frac{1}{2}', '0.5', 0)).toBe(true);
    expect(mathEqual('0', '0', 0)).toBe(true);
  });
});

describe('extracting the answer', () => {
  it('takes the last complete \\boxed{}, keeping nested braces', () => {
    expect(lastBoxed('\\boxed{1} then \\boxed{\\frac{\\sqrt{3}}{2}}')).toBe('\\frac{\\sqrt{3}}{2}');
    expect(lastBoxed('\\boxed{1} and a cut-off \\boxed{\\frac{2')).toBe('1');
    expect(lastBoxed('\\boxed 5$')).toBe('5');
    expect(lastBoxed('\\fbox{7}')).toBe('7');
    expect(lastBoxed('\\boxed{\\{1,2\\}}')).toBe('\\{1,2\\}');
    expect(lastBoxed('\\boxedx{1}')).toBeNull();
    expect(lastBoxed('no box')).toBeNull();
  });

  it('falls back to the last `Answer: x`', () => {
    expect(extractMathAnswer('Answer: 3\nwait\nAnswer: 4.')).toBe('4');
    expect(extractMathAnswer('nothing here')).toBeNull();
    expect(extractMathAnswer('The answer is $\\boxed{}$.')).toBeNull(); // an empty box is no answer
    expect(extractMathAnswer('Answer: 3 but \\boxed{5}')).toBe('5');
  });

  it('normalises the reference too', () => {
    expect(normalizeMath('\\boxed{\\dfrac{1}{2}}')).toBe('\\frac{1}{2}');
    expect(mathEqual('0.5', '\\boxed{\\dfrac{1}{2}}')).toBe(true);
  });

  it('evaluates only plain number expressions', () => {
    expect(evalMath('\\frac{\\sqrt{3}}{2}')).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(evalMath('-2^2')).toBe(-4);
    expect(evalMath('2\\cdot3+1')).toBe(7);
    expect(evalMath('(1+2)\\times3')).toBe(9);
    expect(evalMath('x+1')).toBeNull();
    expect(evalMath('\\frac{1}{0}')).toBeNull();
    expect(evalMath('\\pie')).toBeNull();
    expect(evalMath('1/')).toBeNull();
  });
});
