// `npm run grader:table [cases.jsonl]`: math_equal's agreement with the human verdicts of the
// grader table (default test/fixtures/grader/cases.jsonl), its confusion counts and disagreements.
import { extractMathAnswer, mathEqual } from '../runtime/rewards/math.js';
import { formatScore, loadCases, scoreTable } from '../runtime/rewards/grader/table.js';

const path = process.argv[2] ?? 'test/fixtures/grader/cases.jsonl';
const score = scoreTable(loadCases(path), (response, reference) => {
  const got = extractMathAnswer(response);
  return got !== null && mathEqual(got, reference);
});
console.log(formatScore(score));
