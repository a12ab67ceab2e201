// The grader table: model-style responses with a human verdict each (test/fixtures/grader/cases.jsonl).
// Scoring a grader on it gives the agreement figure that docs/grader.md reports.
import { readFileSync } from 'node:fs';

export interface GraderCase {
  id: string;
  response: string;
  reference: string;
  /** The human verdict: is the response's final answer the reference? */
  verdict: boolean;
  why: string;
  /** A wrong answer close to the right one (off by one, rounded, sign): it must be rejected. */
  near_miss?: boolean;
}

export type Grade = (response: string, reference: string) => boolean;

export interface TableScore {
  total: number;
  agree: number;
  /** grader 1, human 1 / grader 1, human 0 / grader 0, human 0 / grader 0, human 1. */
  confusion: { tp: number; fp: number; tn: number; fn: number };
  disagreements: (GraderCase & { got: boolean })[];
  /** Near misses the grader accepted: each one is a wrong answer rewarded. */
  nearMissesAccepted: GraderCase[];
}

export function loadCases(path: string): GraderCase[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as GraderCase);
}

export function scoreTable(cases: GraderCase[], grade: Grade): TableScore {
  const confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const disagreements: TableScore['disagreements'] = [];
  for (const c of cases) {
    const got = grade(c.response, c.reference);
    if (got && c.verdict) confusion.tp++;
    else if (got) confusion.fp++;
    else if (c.verdict) confusion.fn++;
    else confusion.tn++;
    if (got !== c.verdict) disagreements.push({ ...c, got });
  }
  return {
    total: cases.length,
    agree: cases.length - disagreements.length,
    confusion,
    disagreements,
    nearMissesAccepted: disagreements.filter((d) => d.near_miss),
  };
}

/** The report `npm run grader:table` prints. */
export function formatScore(s: TableScore): string {
  const pct = ((100 * s.agree) / Math.max(1, s.total)).toFixed(1);
  const { tp, fp, tn, fn } = s.confusion;
  const lines = [
    `agreement with the human verdicts: ${s.agree}/${s.total} = ${pct} %`,
    `grader 1 & human 1: ${tp}   grader 1 & human 0: ${fp}   grader 0 & human 0: ${tn}   grader 0 & human 1: ${fn}`,
    `near misses accepted: ${s.nearMissesAccepted.length}`,
  ];
  if (s.disagreements.length) lines.push('', 'disagreements (id, grader/human, reference, why, response tail):');
  for (const d of s.disagreements) {
    const tail = d.response.slice(-80).replace(/\n/g, '\\n');
    lines.push(`  ${d.id}${d.near_miss ? ' [near miss]' : ''}  grader ${d.got ? 1 : 0} / human ${d.verdict ? 1 : 0}  ref ${JSON.stringify(d.reference)}  (${d.why})  …${tail}`);
  }
  return lines.join('\n');
}
