// A Fibonacci chain modulo 10 with a countdown, e.g. question `4:3 3:5`, solution
// `2:8 1:3 0:1 Answer: 1`: each step writes how many steps remain and the sum of the last two
// values modulo 10; the question's first two steps seed it. Built to have the three properties
// SIRI's argument relies on, each a knob:
// - useful length: a problem of n steps needs all n (the answer depends on the seeds and n with a
//   period of 60, no shortcut a tiny model finds), so a budget below a problem's need makes it
//   unsolvable (`easy`, `hard` and `hard_share` set the mix);
// - over-thinking: a `redundancy` share of solutions re-check the final value 1..n times
//   (`check 1 check 1`) before answering;
// - an imperfect teacher: a `teacher_error` share of training solutions slip on one kind of
//   step, two values that sum to 15 (7+8, 8+7, 6+9, 9+6: the teacher writes 6, not 5, and carries
//   on from it). The slip is systematic so that it survives greedy decoding: slipped rows are
//   drawn to hold such a step and hold most of the ones SFT sees, so the SFT model learns the slip
//   and RL, rewarded on the correct `answer`, has accuracy to gain. Uniform noise would not:
//   greedy decoding takes the majority, which would be the right fact.
// Why this format: every step, the question's two included, is 4 characters wide, so what a step
// needs (the last count and the last two values) is always 4 and 8 characters back, and no step
// has to find anything in the question by content or at a distance that depends on the problem.
// Two formats that did need that (a running sum over the question's digits, labelled or in
// fixed slots) stayed at chance after 300-600 SFT steps of the 2-layer model. The countdown says
// when to stop without counting. The re-checks come after the last step so they move no offset.
import type { Rng } from '../../rng.js';
import { drawSplits, TaskParams, type Range, type Splits, type TaskRow } from './common.js';

export interface ChainSettings {
  easy: Range;
  hard: Range;
  hardShare: number;
  redundancy: number;
  teacherError: number;
}

/** The facts the imperfect teacher gets wrong: two values that sum to 15 (it writes 6, not 5). */
export const SLIP = { pairs: [[7, 8], [8, 7], [6, 9], [9, 6]] as const, wrote: 6 };
export const slips = (a: number, b: number): boolean => a + b === 15;

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
  // few questions then gives way to a fresh draw. The eval split's questions are drawn as they
  // come (none forced to hold the slip): its solutions are never trained on.
  let kind: Kind = { hard: false, slipped: false };
  return drawSplits('chain', seed, { train: p.int('train_size'), eval: p.int('eval_size') }, (q, style, rejected, split) => {
    if (rejected % RETRIES === 0) kind = { hard: q.float() < s.hardShare, slipped: q.float() < s.teacherError && split === 'train' };
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
  const n = q.between(range.from, range.to);
  // values[0..1] seed the chain, values[2..n+1] are the steps.
  const values = [q.between(0, 9), q.between(0, 9)];
  const slipped = kind.slipped;
  if (slipped) {
    // Drawn to contain a slip: the step at j sums a pair such as 7 (j-2) and 8 (j-1); the seeds
    // follow by running the chain backwards from there.
    const j = q.between(2, n + 1);
    const back: number[] = [...q.pick(SLIP.pairs)];
    for (let i = j - 2; i > 0; i--) back.unshift((back[1]! - back[0]! + 10) % 10);
    values[0] = back[0]!;
    values[1] = back[1]!;
  }
  const trueValues = [...values];
  for (let i = 2; i <= n + 1; i++) trueValues.push((trueValues[i - 2]! + trueValues[i - 1]!) % 10);
  const question = `${n + 1}:${values[0]} ${n}:${values[1]}`;
  const answer = String(trueValues[n + 1]);
  const out: string[] = [];
  const v = [...values]; // the teacher's values, wrong after a slip
  for (let i = 2; i <= n + 1; i++) {
    const [a, b] = [v[i - 2]!, v[i - 1]!];
    v.push(slipped && slips(a, b) ? SLIP.wrote : (a + b) % 10);
    out.push(`${n + 1 - i}:${v[i]}`);
  }
  const last = v[n + 1]!;
  if (style.float() < s.redundancy) for (let i = style.between(1, n); i > 0; i--) out.push(`check ${last}`);
  return { question, solution: `${out.join(' ')} Answer: ${last}`, answer };
}

/** The exact answer of a question such as `4:3 3:5`, for tests and sanity checks. */
export function chainAnswer(question: string): string {
  const m = /^(\d):(\d) (\d):(\d)$/.exec(question);
  if (!m || Number(m[1]) !== Number(m[3]) + 1) throw new Error(`not a chain question: ${JSON.stringify(question)}`);
  let [a, b] = [Number(m[2]), Number(m[4])];
  for (let k = Number(m[3]); k > 0; k--) [a, b] = [b, (a + b) % 10];
  return String(b);
}
