// The Python graders of siri_verl.py agree with the TypeScript graders (src/runtime/rewards/math.ts
// and grader/*) on the whole grading table the runtime tests use, case by case: the verdict, and
// on the way the extracted answer and both normalised spellings. Compared with the TS functions'
// own results, not with the table's human column (where the TS grader errs, Python must err alike).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/binary.js';
import { loadCases } from '../../../src/runtime/rewards/grader/table.js';
import { extractMathAnswer, mathEqual, normalizeMath } from '../../../src/runtime/rewards/math.js';
import { drive, NO_PYTHON, PY_SRC } from './python-job.js';

const TABLE = 'test/fixtures/grader/cases.jsonl';

interface Graded {
  extracted: string | null;
  normalized: string | null;
  reference: string;
  verdict: boolean;
}

describe.skipIf(NO_PYTHON)('the Python graders', () => {
  const cases = loadCases(path.join(ROOT, TABLE));
  const py = drive<Graded>(PY_SRC, cases.map((c) => ({ op: 'grade', response: c.response, reference: c.reference })));
  const ts: Graded[] = cases.map((c) => {
    const got = extractMathAnswer(c.response);
    return { extracted: got, normalized: got === null ? null : normalizeMath(got), reference: normalizeMath(c.reference), verdict: got !== null && mathEqual(got, c.reference) };
  });
  /** `line N (id): field python X, ts Y` for every difference. */
  const differences = (field: keyof Graded): string[] =>
    cases.flatMap((c, i) => (py[i]![field] === ts[i]![field] ? [] : [`line ${i + 1} (${c.id}): ${field} python ${JSON.stringify(py[i]![field])}, ts ${JSON.stringify(ts[i]![field])}`]));

  it(`grade every case of ${TABLE} (${cases.length} cases)`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(py.length).toBe(cases.length);
  });

  it('give the TypeScript verdict on every case', () => {
    expect(differences('verdict')).toEqual([]);
  });

  it('extract the same final answer and normalise both sides alike', () => {
    expect([...differences('extracted'), ...differences('normalized'), ...differences('reference')]).toEqual([]);
  });

  it('agree on math_equal beyond the table: tolerances, hedges, lists, intervals, matrices, unicode', () => {
    const pairs: [string, string, number][] = [
      ['0.333', '1/3', 0], ['0.333', '\\frac{1}{3}', 0.01], ['3.14159', '\\pi', 1e-4], ['2\\sqrt{2}', '\\sqrt{8}', 0], ['\\sqrt[3]{27}', '3', 0],
      ['x = \\pm 2', '2, -2', 0], ['\\{1,2\\}', '\\{2,1\\}', 0], ['(1,2)', '(2,1)', 0], ['[1,3)', '[1,3)', 0], ['\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', '\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', 0],
      ['\u22125', '-5', 0], ['1{,}000', '1000', 0], ['0.1\\overline{6}', '\\frac{1}{6}', 0], ['2\\frac{1}{2}', '5/2', 0], ['5 cm', '5', 0], ['(B)', 'B', 0], ['B. 12', 'B', 0],
      ['10^{400}', '10^{400}+1', 0], ['2^{5000}', '2^{5000}', 0], ['1e400', '1e401', 0], ['\\sqrt{-4}', '2', 0], ['(-8)^{1/3}', '-2', 0], ['0^{-1}', '1', 0], ['\\frac{1}{0}', '1', 0],
      ['x^{2}', 'x^2', 0], ['\\infty', 'inf', 0], ['a=1, b=2', 'b=2, a=1', 0], ['x \\in [1,3]', '[1,3]', 0], ['\\text{(B)}', 'B', 0], ['50\\%', '50', 0], ['90^\\circ', '90', 0],
    ];
    const responses = ['\\boxed{3} then \\boxed{4}', '\\boxed{3} and \\boxed{3.0}', '```\n\\boxed{x}\n```\nAnswer: 7', '#### 42', 'The final answer is $\\frac{1}{2}$. I hope it is correct.', '**Answer:** 9, since 3^2 = 9.', 'Answer: \\boxed{}', '\\boxed 5$', 'no answer here', 'Final Answer: The final answer is $5$.', 'answer is\u2028 12', 'ANSWER: \\(x+1\\)'];
    const got = drive<{ ok: unknown; error?: string }>(PY_SRC, [
      ...pairs.map(([a, b, t]) => ({ op: 'call', fn: 'math_equal', args: [a, b, t] })),
      ...responses.map((r) => ({ op: 'call', fn: 'extract_math_answer', args: [r] })),
    ]);
    const want = [...pairs.map(([a, b, t]) => mathEqual(a, b, t)), ...responses.map((r) => extractMathAnswer(r))];
    const wrong = want.flatMap((w, i) => (got[i]!.ok === w ? [] : [`${i < pairs.length ? JSON.stringify(pairs[i]) : JSON.stringify(responses[i - pairs.length])}: python ${JSON.stringify(got[i])}, ts ${JSON.stringify(w)}`]));
    expect(wrong).toEqual([]);
  });
});
