// The grader table (test/fixtures/grader/cases.jsonl, written before any grader ran on it): math_equal
// must agree with the human verdicts on at least 95 % and accept no near miss. `npm run grader:table`
// prints the same figures.
import { describe, expect, it } from 'vitest';
import { formatScore, loadCases, scoreTable } from '../../../../src/runtime/rewards/grader/table.js';
import { extractMathAnswer, mathEqual } from '../../../../src/runtime/rewards/math.js';

const cases = loadCases('test/fixtures/grader/cases.jsonl');
const score = scoreTable(cases, (response, reference) => {
  const got = extractMathAnswer(response);
  return got !== null && mathEqual(got, reference);
});

describe('the grader table', () => {
  it('has at least 300 cases with unique ids, a verdict and a reason each', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    for (const c of cases) expect(typeof c.verdict === 'boolean' && c.why !== '' && typeof c.reference === 'string', c.id).toBe(true);
    expect(cases.filter((c) => c.near_miss).every((c) => !c.verdict)).toBe(true);
  });

  it('agrees with the human verdicts on at least 95 %', () => {
    expect(score.agree / score.total, formatScore(score)).toBeGreaterThanOrEqual(0.95);
  });

  it('accepts no near miss', () => {
    expect(score.nearMissesAccepted.map((c) => c.id), formatScore(score)).toEqual([]);
  });
});
