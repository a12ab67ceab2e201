// `npm run grader:table -- [--tolerance X] [cases.jsonl]`: math_equal's agreement with the human
// verdicts of the grader table (default test/fixtures/grader/cases.jsonl), its confusion counts and
// disagreements. `--tolerance` is math_equal's opt-in relative tolerance (default 0: exact).
import { extractMathAnswer, mathEqual } from '../runtime/rewards/math.js';
import { formatScore, loadCases, scoreTable } from '../runtime/rewards/grader/table.js';

const args = process.argv.slice(2);
const at = args.indexOf('--tolerance');
const tolerance = at >= 0 ? Number(args.splice(at, 2)[1]) : 0;
if (!Number.isFinite(tolerance) || tolerance < 0) {
  console.error('--tolerance takes a number >= 0, e.g. `npm run grader:table -- --tolerance 1e-4`');
  process.exit(2);
}
const path = args[0] ?? 'test/fixtures/grader/cases.jsonl';
const score = scoreTable(loadCases(path), (response, reference) => {
  const got = extractMathAnswer(response);
  return got !== null && mathEqual(got, reference, tolerance);
});
console.log(formatScore(score));
