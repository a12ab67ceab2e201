// Multi-step integer arithmetic, e.g. question `3+4*2=`, solution `4*2=8 3+8=11 Answer: 11`.
// One binary operation per step: products first (left to right), then sums and differences left
// to right, so a small char-level model sees every intermediate number. A `redundancy` share of
// solutions re-checks steps (`check 2*4=8 ok`) and restates the problem: reasoning a model learns
// in SFT and can drop under compression without losing accuracy.
import type { Rng } from '../../rng.js';
import { RunError } from '../../types.js';
import { drawSplits, TaskParams, type Range, type Splits, type TaskRow } from './common.js';

type Op = '+' | '-' | '*';
const OPS: Record<string, Op> = { add: '+', sub: '-', mul: '*' };

export interface ArithmeticSettings {
  operands: Range;
  digits: Range;
  ops: Op[];
  redundancy: number;
}

export function generateArithmetic(params: Record<string, unknown>, seed: number): Splits {
  const p = new TaskParams('arithmetic', params);
  const ops = p.list('ops').map((o) => {
    if (!OPS[o]) throw new RunError(`generated("arithmetic"): unknown operation "${o}" in \`ops\``, 'use add, sub and mul', 'R0106');
    return OPS[o];
  });
  const s: ArithmeticSettings = { operands: p.range('operands'), digits: p.range('digits'), ops, redundancy: p.float('redundancy') };
  return drawSplits('arithmetic', seed, { train: p.int('train_size'), eval: p.int('eval_size') }, (q, style) => arithmeticRow(s, q, style));
}

/** A number of `d` digits (1 digit includes 0). */
const number = (rng: Rng, d: number): number => rng.between(d === 1 ? 0 : 10 ** (d - 1), 10 ** d - 1);

export function arithmeticRow(s: ArithmeticSettings, q: Rng, style: Rng): TaskRow {
  const nums = [number(q, q.between(s.digits.from, s.digits.to))];
  const ops: Op[] = [];
  // Keep products below `cap` so no single step multiplies two big numbers (hard to learn, and
  // long chains would leave the safe-integer range).
  const cap = Math.max(100, 10 ** (s.digits.to + 1));
  const addSub = s.ops.filter((o) => o !== '*');
  let term = nums[0]!; // value of the product chain ending at the last number
  for (let i = 1, n = q.between(s.operands.from, s.operands.to); i < n; i++) {
    let op = q.pick(s.ops);
    let x = number(q, q.between(s.digits.from, s.digits.to));
    if (op === '*' && term * x > cap) {
      const hi = Math.floor(cap / term);
      if (hi >= 2) x = q.between(2, hi); // x > hi here, so this only shrinks it
      else if (addSub.length > 0) op = q.pick(addSub);
      else x = q.between(1, 9); // multiplication only: small factors, still far from 2^53
    }
    term = op === '*' ? term * x : x;
    ops.push(op);
    nums.push(x);
  }
  const question = nums.map((x, i) => (i === 0 ? '' : ops[i - 1]) + String(x)).join('') + '=';
  const { steps, value } = work(nums, ops);
  const answer = String(value);
  const body = style.float() < s.redundancy ? redundant(steps, question, answer, style) : steps.map(show);
  return { question, solution: `${body.join(' ')} Answer: ${answer}`, answer };
}

interface Step {
  a: number;
  op: Op;
  b: number;
  c: number;
}

const apply = (a: number, op: Op, b: number): number => (op === '+' ? a + b : op === '-' ? a - b : a * b);
const show = (t: Step): string => `${t.a}${t.op}${t.b}=${t.c}`;

/** The steps of the worked solution: products left to right, then the rest left to right. */
function work(nums: number[], ops: Op[]): { steps: Step[]; value: number } {
  const steps: Step[] = [];
  const terms = [nums[0]!];
  const signs: Op[] = [];
  ops.forEach((op, i) => {
    const x = nums[i + 1]!;
    if (op === '*') {
      const a = terms.pop()!;
      steps.push({ a, op, b: x, c: a * x });
      terms.push(a * x);
    } else {
      signs.push(op);
      terms.push(x);
    }
  });
  let acc = terms[0]!;
  signs.forEach((op, i) => {
    const c = apply(acc, op, terms[i + 1]!);
    steps.push({ a: acc, op, b: terms[i + 1]!, c });
    acc = c;
  });
  return { steps, value: acc };
}

/** Each step re-checked with probability 0.6 (at least one), sometimes the problem restated. */
function redundant(steps: Step[], question: string, answer: string, rng: Rng): string[] {
  const out: string[] = [];
  const checked = steps.map(() => rng.float() < 0.6);
  if (!checked.some(Boolean)) checked[rng.int(steps.length)] = true;
  steps.forEach((t, i) => {
    out.push(show(t));
    if (checked[i]) out.push(`check ${show(recheck(t, rng))} ok`);
  });
  if (rng.float() < 0.5) out.push(`so ${question}${answer}`);
  return out;
}

/** The same fact seen another way: commuted, or a difference checked by adding back */
function recheck(t: Step, rng: Rng): Step {
  // (not when commuting would write `35+-532`)
  if (rng.float() < 0.5 || (t.op !== '-' && t.a < 0)) return t;
  return t.op === '-' ? { a: t.c, op: '+', b: t.b, c: t.a } : { a: t.b, op: t.op, b: t.a, c: t.c };
}

/**
 * The exact answer of a question such as `3+4*2=`, computed independently of the generator (a
 * precedence-climbing pass over the tokens), for tests and sanity checks.
 */
export function arithmeticAnswer(question: string): string {
  const tokens = question.replace(/=$/, '').match(/\d+|[-+*]/g);
  if (!tokens || tokens.join('') !== question.replace(/=$/, '')) throw new Error(`not an arithmetic question: ${JSON.stringify(question)}`);
  let sum = 0;
  let sign = 1;
  let prod = Number(tokens[0]);
  for (let i = 1; i < tokens.length; i += 2) {
    const op = tokens[i]!;
    const x = Number(tokens[i + 1]);
    if (op === '*') prod *= x;
    else {
      sum += sign * prod;
      sign = op === '+' ? 1 : -1;
      prod = x;
    }
  }
  return String(sum + sign * prod);
}
