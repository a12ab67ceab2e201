// A chain of one-digit additions modulo 10, e.g. question `a3 b5 c2`, solution
// `a3=3 b5=8 c2=0 Answer: 0`: a running total that starts at 0 and adds each labelled digit.
// Built to have the three properties SIRI's argument relies on, each a knob:
// - useful length: a problem of n digits needs n steps, and a tiny model cannot skip one, so a
//   budget below a problem's need makes it unsolvable (`easy`, `hard` and `hard_share` set the mix);
// - over-thinking: a `redundancy` share of solutions re-check steps (`check 8+2=0`);
// - an imperfect teacher: a `teacher_error` share of solutions slip on one fact, 7+8 (the teacher
//   writes 6, not 5, and carries on from it). The slip is systematic so that it survives greedy
//   decoding: those rows hold most of the 7+8 steps SFT sees, so the SFT model learns the slip
//   and RL, rewarded on the correct `answer`, has accuracy to gain.
// Why this format: every step has the same width, so the previous total is always 5 characters
// back; the label (`c`) is the next letter after the last one and finds its digit in the
// question by matching the same label (an induction pattern two layers can learn). Modulo 10
// keeps each step one fact of a 100-entry table.
import type { Rng } from '../../rng.js';
import { drawSplits, TaskParams, type Range, type Splits, type TaskRow } from './common.js';

export interface ChainSettings {
  easy: Range;
  hard: Range;
  hardShare: number;
  redundancy: number;
  teacherError: number;
}

/** The fact the imperfect teacher gets wrong: a total of 7 plus the digit 8 (really 5). */
export const SLIP = { total: 7, digit: 8, wrote: 6 } as const;

const LABELS = 'abcdefghijklmnopqrstuvwxyz';

export function generateChain(params: Record<string, unknown>, seed: number): Splits {
  const p = new TaskParams('chain', params);
  const s: ChainSettings = {
    easy: p.range('easy'),
    hard: p.range('hard'),
    hardShare: p.float('hard_share'),
    redundancy: p.float('redundancy'),
    teacherError: p.float('teacher_error'),
  };
  // A question refused by the splits (a duplicate) is redrawn of the same kind, up to
  // RETRIES times, so that the mix and the slipped share stay what the knobs say; a kind with too
  // few questions (e.g. `a7 b8`) then gives way to a fresh draw.
  let kind: Kind = { hard: false, slipped: false };
  return drawSplits('chain', seed, { train: p.int('train_size'), eval: p.int('eval_size') }, (q, style, rejected) => {
    if (rejected % RETRIES === 0) kind = { hard: q.float() < s.hardShare, slipped: q.float() < s.teacherError };
    return chainRow(s, kind, q, style);
  });
}

const RETRIES = 20;

/** What a row is before its digits are drawn: hard or easy, and whether the teacher slips. */
export interface Kind {
  hard: boolean;
  slipped: boolean;
}

export function chainRow(s: ChainSettings, kind: Kind, q: Rng, style: Rng): TaskRow {
  const range = kind.hard ? s.hard : s.easy;
  const digits = Array.from({ length: q.between(range.from, range.to) }, () => q.between(0, 9));
  // A slipped row is drawn to contain the fact: the digit before step k brings the total to 7,
  // and step k adds 8 (k >= 1: the total before the first step is 0; every problem has 2 digits).
  const slipped = kind.slipped;
  if (slipped) {
    const k = q.between(1, digits.length - 1);
    const before = digits.slice(0, k - 1).reduce((a, x) => (a + x) % 10, 0);
    digits[k - 1] = (SLIP.total - before + 10) % 10;
    digits[k] = SLIP.digit;
  }
  const question = digits.map((x, i) => `${LABELS[i]}${x}`).join(' ');
  const answer = String(digits.reduce((a, x) => (a + x) % 10, 0));
  const padded = style.float() < s.redundancy;
  const checked = digits.map(() => padded && style.float() < 0.6);
  if (padded && !checked.some(Boolean)) checked[style.int(digits.length)] = true;
  const out: string[] = [];
  let total = 0; // the teacher's running total, wrong after a slip
  digits.forEach((x, i) => {
    const next = slipped && total === SLIP.total && x === SLIP.digit ? SLIP.wrote : (total + x) % 10;
    out.push(`${LABELS[i]}${x}=${next}`);
    // A re-check ends with the total too, so the next step finds it at the same distance.
    if (checked[i]) out.push(`check ${total}+${x}=${next}`);
    total = next;
  });
  return { question, solution: `${out.join(' ')} Answer: ${total}`, answer };
}

/** The exact answer of a question such as `a3 b5 c2`, for tests and sanity checks. */
export function chainAnswer(question: string): string {
  const m = /^[a-z]\d(?: [a-z]\d)*$/.exec(question);
  if (!m) throw new Error(`not a chain question: ${JSON.stringify(question)}`);
  return String(question.split(' ').reduce((a, t) => (a + Number(t[1])) % 10, 0));
}
