// The testbed task `chain`: its knobs do what they say (difficulty mix, padded share, the
// imperfect teacher's share and that its slip is systematic), lengths grow with difficulty, a
// budget below a problem's need cuts its answer off, and bad knob values are compile errors.
import { describe, expect, it } from 'vitest';
import { chainAnswer, generateTask, type TaskRow } from '../../../src/runtime/data/tasks/index.js';
import { SLIP } from '../../../src/runtime/data/tasks/chain.js';
import { BASE, codes, compileMem } from '../../helpers/memory.js';

const chain = (p: Record<string, unknown> = {}, seed = 7) => generateTask('chain', { train_size: 4000, eval_size: 200, ...p }, seed);

const STEP = /^([a-z])(\d)=(\d)$/;
const steps = (r: TaskRow) => r.solution.split(' ').filter((t) => STEP.test(t));
const digits = (r: TaskRow) => r.question.split(' ').map((t) => Number(t[1]));
/** The total the solution writes before `Answer:`, and whether any written step is wrong. */
function written(r: TaskRow): { answer: string; wrong: boolean; slips: number } {
  let total = 0;
  let wrong = false;
  let slips = 0;
  for (const t of steps(r)) {
    const [, , x, c] = STEP.exec(t)!;
    if ((total + Number(x)) % 10 !== Number(c)) {
      wrong = true;
      expect([total, Number(x), Number(c)], `${r.solution}`).toEqual([SLIP.total, SLIP.digit, SLIP.wrote]);
      slips++;
    }
    total = Number(c);
  }
  return { answer: r.solution.split('Answer: ')[1]!, wrong, slips };
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

  it('matches the example format: labelled digits, one running total modulo 10 per step', () => {
    for (const r of chain({ redundancy: 0, teacher_error: 0 }).train) {
      const want = digits(r).map((x, i, xs) => `${'abcdefghijklmnopqrstuvwxyz'[i]}${x}=${xs.slice(0, i + 1).reduce((a, b) => (a + b) % 10, 0)}`);
      expect(r.solution).toBe(`${want.join(' ')} Answer: ${r.answer}`);
      expect(r.answer).toBe(chainAnswer(r.question));
    }
  });

  it('hard_share sets the difficulty mix, and easy / hard the steps', () => {
    const rows = chain({ easy: { from: 2, to: 3 }, hard: { from: 7, to: 9 }, hard_share: 0.3 }).train;
    const n = rows.map((r) => digits(r).length);
    expect(n.every((k) => (k >= 2 && k <= 3) || (k >= 7 && k <= 9))).toBe(true);
    expect(share(rows, (r) => digits(r).length >= 7)).toBeCloseTo(0.3, 1);
    expect(chain({ hard_share: 0 }).train.every((r) => digits(r).length <= 4)).toBe(true);
    expect(chain({ hard_share: 1 }).train.every((r) => digits(r).length >= 6)).toBe(true);
  });

  it('a solution has one step per digit, so lengths grow with difficulty', () => {
    const rows = chain({ redundancy: 0, easy: { from: 2, to: 2 }, hard: { from: 4, to: 8 } }).train;
    for (const r of rows) expect(steps(r)).toHaveLength(digits(r).length);
    const mean = (k: number) => {
      const of = rows.filter((r) => digits(r).length === k);
      return of.reduce((a, r) => a + need(r), 0) / of.length;
    };
    for (let k = 4; k < 8; k++) expect(mean(k + 1)).toBe(mean(k) + 5); // 5 tokens a step
    expect(mean(4)).toBeGreaterThan(mean(2));
  });

  it('a budget below a hard problem\'s need cuts its answer off; one at the need keeps it', () => {
    const hard = chain({ redundancy: 0, teacher_error: 0, hard_share: 1, hard: { from: 8, to: 8 } }).train;
    for (const r of hard.slice(0, 200)) {
      expect(need(r)).toBe(8 * 5 + 10); // 8 steps of `a3=3 ` and ` Answer: d` with EOS, one token per char
      const budget = 32; // what fits every easy problem (3-4 steps), far below a hard one's need
      expect(r.solution.slice(0, budget)).not.toContain('Answer:');
      expect((r.solution + '\n').slice(0, need(r))).toContain(`Answer: ${r.answer}`);
    }
    const easy = chain({ redundancy: 0, hard_share: 0 }).train;
    expect(easy.every((r) => need(r) <= 30 && need(r) <= 32)).toBe(true);
  });

  it('pads about `redundancy` of the solutions with true re-checks that end with the total', () => {
    const { train } = chain({ redundancy: 0.3, teacher_error: 0 });
    const padded = train.filter((r) => r.solution.includes('check'));
    expect(padded.length / train.length).toBeGreaterThan(0.27);
    expect(padded.length / train.length).toBeLessThan(0.33);
    for (const r of padded) {
      for (const [, a, x, c] of r.solution.matchAll(/check (\d)\+(\d)=(\d)/g)) expect((+a! + +x!) % 10).toBe(+c!);
      expect(r.solution).toMatch(/^(?:[a-z]\d=\d(?: check \d\+\d=\d)? )+Answer: \d$/);
    }
    expect(chain({ redundancy: 0 }).train.some((r) => r.solution.includes('check'))).toBe(false);
    expect(chain({ redundancy: 1 }).train.every((r) => r.solution.includes('check'))).toBe(true);
  });

  it('about `teacher_error` of the solutions slip on 7+8 and carry on from it; `answer` stays correct', () => {
    for (const e of [0, 0.15, 0.4]) {
      const { train, eval: ev } = chain({ teacher_error: e, redundancy: 0.3 });
      const w = train.map(written);
      expect(Math.abs(w.filter((x) => x.wrong).length / train.length - e)).toBeLessThan(0.025);
      train.forEach((r, i) => {
        expect(r.answer).toBe(chainAnswer(r.question));
        // The solution's own last total is its `Answer:`: wrong exactly when a step slipped.
        expect(w[i]!.answer === r.answer).toBe(!w[i]!.wrong);
      });
      for (const r of ev) expect(r.answer).toBe(chainAnswer(r.question));
    }
  });

  it('the slip is systematic: most 7+8 steps SFT sees are wrong, so greedy decoding learns it', () => {
    const { train } = chain({ teacher_error: 0.15, redundancy: 0 });
    let seen = 0;
    let wrong = 0;
    for (const r of train) {
      let total = 0;
      for (const t of steps(r)) {
        const [, , x, c] = STEP.exec(t)!;
        if (total === SLIP.total && Number(x) === SLIP.digit) {
          seen++;
          if (Number(c) === SLIP.wrote) wrong++;
        }
        total = Number(c);
      }
    }
    expect(seen).toBeGreaterThan(300);
    expect(wrong / seen).toBeGreaterThan(0.6);
  });

  it('keeps the same questions when only redundancy changes', () => {
    const q = (r: number) => chain({ redundancy: r, teacher_error: 0.2 }).train.map((x) => x.question);
    expect(q(0)).toEqual(q(0.8));
  });

  it('chainAnswer adds the digits modulo 10', () => {
    expect(chainAnswer('a3 b5 c2')).toBe('0');
    expect(chainAnswer('a7 b8')).toBe('5');
    expect(() => chainAnswer('a3 b')).toThrow();
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
    ['easy = 1..3', 'easy'],
    ['hard = 6..40', 'hard'],
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
