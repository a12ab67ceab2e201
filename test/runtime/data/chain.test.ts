// The testbed task `chain`: its knobs do what they say (difficulty mix, padded share, the
// imperfect teacher's share and that its slip is systematic), lengths grow with difficulty, a
// budget below a problem's need cuts its answer off, and bad knob values are compile errors.
import { describe, expect, it } from 'vitest';
import { chainAnswer, generateTask, type TaskRow } from '../../../src/runtime/data/tasks/index.js';
import { slips } from '../../../src/runtime/data/tasks/chain.js';
import { BASE, codes, compileMem } from '../../helpers/memory.js';

const chain = (p: Record<string, unknown> = {}, seed = 7) => generateTask('chain', { train_size: 4000, eval_size: 200, ...p }, seed);

const STEP = /^(\d):(\d)$/;
const steps = (r: TaskRow) => r.solution.split(' ').filter((t) => STEP.test(t));
const seeds = (r: TaskRow) => /^(\d):(\d) (\d):(\d)$/.exec(r.question)!.slice(1).map(Number);
/** Steps a question asks for: the count of its second seed. */
const stepsOf = (r: TaskRow) => seeds(r)[2]!;
/** The true chain of a question, seeds included. */
function chainOf(r: TaskRow): number[] {
  const [, a, n, b] = seeds(r);
  const v = [a!, b!];
  for (let i = 0; i < n!; i++) v.push((v.at(-2)! + v.at(-1)!) % 10);
  return v;
}
const holdsSlip = (r: TaskRow) => chainOf(r).some((x, i, v) => i >= 2 && slips(v[i - 2]!, v[i - 1]!));
/** Whether any written step is wrong; every wrong step must be the teacher's slip (a+b = 15 written 6). */
function wrong(r: TaskRow): boolean {
  const [, a, , b] = seeds(r);
  const v = [a!, b!];
  let bad = false;
  for (const t of steps(r)) {
    const c = Number(STEP.exec(t)![2]);
    const [x, y] = [v.at(-2)!, v.at(-1)!];
    if ((x + y) % 10 !== c) {
      bad = true;
      expect([x + y, c], r.solution).toEqual([15, 6]);
    }
    v.push(c);
  }
  return bad;
}
const share = (rows: TaskRow[], f: (r: TaskRow) => boolean) => rows.filter(f).length / rows.length;
/** Characters are tokens under `tokenizer = chars`; +1 for EOS. */
const need = (r: TaskRow) => r.solution.length + 1;

describe('chain', () => {
  it('is deterministic per seed, and differs between seeds', () => {
    const p = { redundancy: 0.3, teacher_error: 0.2 };
    expect(chain(p, 5)).toEqual(chain(p, 5));
    expect(chain(p, 5).train.slice(0, 20)).not.toEqual(chain(p, 6).train.slice(0, 20));
  });

  it('matches the example format: a countdown and the sum of the last two values modulo 10', () => {
    for (const r of chain({ redundancy: 0, teacher_error: 0 }).train) {
      const n = stepsOf(r);
      expect(seeds(r)[0]).toBe(n + 1);
      const want = chainOf(r).slice(2).map((x, i) => `${n - 1 - i}:${x}`);
      expect(r.solution).toBe(`${want.join(' ')} Answer: ${r.answer}`);
      expect(r.answer).toBe(chainAnswer(r.question));
    }
    expect(chainAnswer('4:3 3:5')).toBe('1'); // 8 3 1
  });

  it('hard_share sets the difficulty mix, and easy / hard the steps', () => {
    const rows = chain({ easy: { from: 2, to: 3 }, hard: { from: 6, to: 8 }, hard_share: 0.3, eval_size: 40 }).train;
    expect(rows.every((r) => (stepsOf(r) >= 2 && stepsOf(r) <= 3) || (stepsOf(r) >= 6 && stepsOf(r) <= 8))).toBe(true);
    expect(Math.abs(share(rows, (r) => stepsOf(r) >= 6) - 0.3)).toBeLessThan(0.03);
    expect(chain({ hard_share: 0, eval_size: 40 }).train.every((r) => stepsOf(r) <= 3)).toBe(true);
    expect(chain({ hard_share: 1 }).train.every((r) => stepsOf(r) >= 6)).toBe(true);
  });

  it('a solution has one step per count, so lengths grow with difficulty', () => {
    const rows = chain({ redundancy: 0, easy: { from: 1, to: 1 }, hard: { from: 2, to: 8 }, eval_size: 40 }).train;
    for (const r of rows) expect(steps(r)).toHaveLength(stepsOf(r));
    const mean = (k: number) => {
      const of = rows.filter((r) => stepsOf(r) === k);
      return of.reduce((a, r) => a + need(r), 0) / of.length;
    };
    for (let k = 1; k < 8; k++) expect(mean(k + 1)).toBe(mean(k) + 4); // 4 tokens a step
  });

  it("a budget below a hard problem's need cuts its answer off; one at the need keeps it", () => {
    const hard = chain({ redundancy: 0, teacher_error: 0, hard_share: 1, hard: { from: 8, to: 8 }, eval_size: 20 }).train;
    for (const r of hard.slice(0, 200)) {
      expect(need(r)).toBe(8 * 4 + 10); // 8 steps of `7:3 ` and ` Answer: d` with EOS, one token per char
      const budget = 24; // what fits every easy problem (2-3 steps), far below a hard one's need
      expect(r.solution.slice(0, budget)).not.toContain('Answer:');
      expect(r.solution.slice(0, need(r))).toContain(`Answer: ${r.answer}`);
    }
    expect(chain({ redundancy: 0, hard_share: 0, eval_size: 40 }).train.every((r) => need(r) <= 22)).toBe(true);
  });

  it('pads about `redundancy` of the solutions with 1..n re-checks of the last value, after the steps', () => {
    const { train } = chain({ redundancy: 0.3, teacher_error: 0 });
    const padded = train.filter((r) => r.solution.includes('check'));
    expect(Math.abs(padded.length / train.length - 0.3)).toBeLessThan(0.03);
    for (const r of padded) {
      const m = /^(?:\d:\d )+((?:check \d )+)Answer: (\d)$/.exec(r.solution)!;
      expect(m, r.solution).not.toBeNull();
      const checks = m[1]!.trim().split(' check ').length;
      expect(checks).toBeLessThanOrEqual(stepsOf(r));
      expect(m[1]!.replaceAll('check ', '').trim().split(' ').every((x) => x === m[2])).toBe(true);
    }
    expect(chain({ redundancy: 0 }).train.some((r) => r.solution.includes('check'))).toBe(false);
    expect(chain({ redundancy: 1 }).train.every((r) => r.solution.includes('check'))).toBe(true);
  });

  it('about `teacher_error` of the training solutions slip on a sum of 15 and carry on; `answer` stays correct', () => {
    for (const e of [0, 0.15, 0.4]) {
      const { train, eval: ev } = chain({ teacher_error: e, redundancy: 0.3 });
      expect(Math.abs(share(train, wrong) - e)).toBeLessThan(0.025);
      for (const r of train) {
        expect(r.answer).toBe(chainAnswer(r.question));
        // The solution's own `Answer:` is wrong exactly when a step slipped (it carries on).
        expect(r.solution.endsWith(`Answer: ${r.answer}`)).toBe(!wrong(r));
      }
      // Eval solutions are never trained on: drawn as they come, and correct.
      for (const r of ev) expect(wrong(r)).toBe(false);
    }
  });

  it('the slip is systematic: most of the sum-15 steps SFT sees are wrong, so greedy decoding learns it', () => {
    const { train, eval: ev } = chain({ teacher_error: 0.3, redundancy: 0 });
    const holding = train.filter(holdsSlip);
    expect(share(holding, wrong)).toBeGreaterThan(0.6);
    // ... and the held-out set has problems where it costs the answer.
    expect(share(ev, holdsSlip)).toBeGreaterThan(0.1);
  });

  it('keeps the same questions when only redundancy changes', () => {
    const q = (r: number) => chain({ redundancy: r, teacher_error: 0.2 }).train.map((x) => x.question);
    expect(q(0)).toEqual(q(0.8));
  });

  it('chainAnswer runs the chain', () => {
    expect(chainAnswer('3:7 2:8')).toBe('3'); // 5 3
    expect(() => chainAnswer('3:7 3:8')).toThrow();
  });
});

describe('chain knobs at compile time', () => {
  const src = (args: string) =>
    BASE.replace('import "std/rewards"', 'import "std/rewards"\nimport "std/tasks"')
      .replace(/dataset d \{[\s\S]*?\n\}/, `dataset d = tasks.chain(${args})`);

  it('the defaults compile', () => {
    expect(compileMem(src('train_size = 100 rows'), { mode: 'check' }).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it.each([
    ['hard_share = 1.5', 'hard_share'],
    ['redundancy = -0.1', 'redundancy'],
    ['teacher_error = 2', 'teacher_error'],
    ['easy = 0..3', 'easy'],
    ['hard = 6..9', 'hard'],
  ])('%s is E0304 on the user\'s value', (arg, key) => {
    const text = src(arg);
    const out = compileMem(text, { mode: 'check' });
    const errors = out.diagnostics.filter((d) => d.severity === 'error');
    expect(codes(errors)).toEqual(['E0304']);
    expect(errors[0]!.message).toContain(key);
    const span = errors[0]!.span!;
    expect(span.file).toBe('main.siri');
    const line = text.split('\n')[span.start.line - 1]!;
    expect(line).toContain(arg);
    expect(arg).toContain(line.slice(span.start.column - 1, span.end.column - 1).trim());
  });
});
