// Issue 20, item 2 and the last item: mixed numbers, matrices (the `\\` row separator survives the
// thin-space rule), text and choices, sets and solution lists, \pm, unicode, scientific notation,
// infinity, units, repeating decimals.
import { describe, expect, it } from 'vitest';
import { mathEqual } from '../../../../src/runtime/rewards/math.js';

const M = '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}';

/** [given, reference, equal?] checked both ways round. */
function table(rows: [string, string, boolean][]): void {
  it.each(rows)('%s vs %s → %s', (given, reference, want) => {
    expect(mathEqual(given, reference)).toBe(want);
    expect(mathEqual(reference, given)).toBe(want);
  });
}

describe('mixed numbers', () =>
  table([
    ['2\\frac{1}{2}', '\\frac{5}{2}', true],
    ['-1\\frac{1}{2}', '-1.5', true],
    ['2 \\frac12', '2.5', true],
    ['2\\frac{1}{2}', '1', false],
    ['2\\sqrt{3}', '\\sqrt{12}', true], // a coefficient before a root stays a product
  ]));

describe('matrices', () =>
  table([
    [M, '\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}', true],
    ['\\left[\\begin{array}{cc} 1 & 2 \\\\ 3 & 4 \\end{array}\\right]', M, true],
    ['\\begin{vmatrix}1&2\\\\3&4\\end{vmatrix}', M, true],
    ['\\begin{pmatrix} \\frac12 & 0 \\\\ 0 & 1 \\end{pmatrix}', '\\begin{pmatrix} 0.5 & 0 \\\\ 0 & 1 \\end{pmatrix}', true],
    ['\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}', M, false],
    ['\\begin{pmatrix} 1 & 2 & 3 & 4 \\end{pmatrix}', M, false],
    ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '\\begin{pmatrix} 1 & 2 \\end{pmatrix}', false],
  ]));

describe('text and multiple choice', () =>
  table([
    ['\\text{(B)}', 'B', true],
    ['\\textbf{(B)}', '(B)', true],
    ['b', 'B', true],
    ['(D) 12', 'D', true],
    ['\\text{Yes}', 'yes', true],
    ['\\text{Monday}', 'MONDAY', true],
    ['B', 'C', false],
    ['\\text{even}', 'odd', false],
  ]));

describe('sets, solution lists, tuples and intervals', () =>
  table([
    ['\\{1, 2, 3\\}', '\\{3, 2, 1\\}', true],
    ['1, 2', '2, 1', true],
    ['x=1, x=2', '2, 1', true],
    ['x = 2 \\text{ or } x = -1', '-1, 2', true],
    ['\\{-2, 2\\}', '2, -2', true],
    ['a=1, b=2', 'b=2, a=1', true],
    ['a=1, b=2', 'a=2, b=1', false], // different variables are kept
    ['1, 2, 3', '1, 2', false],
    ['1, 1', '1, 2', false],
    ['(1,2)', '(2,1)', false],
    ['[1,2)', '(1,2]', false],
    ['[2, 5)', '[2,5)', true],
    ['(-\\infty, 1) \\cup (2, \\infty)', '(2,\\infty)\\cup(-\\infty,1)', true],
    ['(-\\infty, 1) \\cup (2, \\infty)', '(-\\infty,1]\\cup(2,\\infty)', false],
  ]));

describe('signs, notation, infinity', () =>
  table([
    ['\\pm 2', '2, -2', true],
    ['1 \\pm \\sqrt{2}', '1-\\sqrt2, 1+\\sqrt2', true],
    ['x = \\pm 5', '\\pm5', true],
    ['\\pm 3', '3', false],
    ['\u22125', '-5', true],
    ['\u2212\\frac{1}{2}', '-0.5', true],
    ['\u22125', '5', false],
    ['1.5e6', '1500000', true],
    ['2E-3', '0.002', true],
    ['1.5 \\times 10^{6}', '1.5e6', true],
    ['1.5e6', '1.5e5', false],
    ['+\\infty', '\\infty', true],
    ['\u221e', '\\infty', true],
    ['(0, +\\infty)', '(0,\\infty)', true],
    ['-\\infty', '\\infty', false],
  ]));

describe('units and repeating decimals', () =>
  table([
    ['5 cm', '5', true],
    ['5\\text{ cm}^2', '5', true],
    ['15\\text{ km/h}', '15', true],
    ['12 dollars', '12', true],
    ['6 cm', '5', false],
    ['0.\\overline{3}', '\\frac{1}{3}', true],
    ['0.1\\overline{6}', '\\frac16', true],
    ['1.\\overline{09}', '\\frac{12}{11}', true],
    ['0.\\overline{9}', '1', true],
    ['0.\\overline{3}', '0.3', false],
    ['0.\\overline{3}', '0.3333', false],
  ]));

describe('thousands and spacing', () =>
  table([
    ['1,000,000', '1000000', true],
    ['1\\,000\\,000', '1000000', true],
    ['100, 200', '200, 100', true], // a list, not 100200
    ['100, 200', '100200', false],
  ]));
