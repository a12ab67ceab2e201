// The built-in generators: deterministic, disjoint splits, correct answers and steps, and a
// redundancy share whose solutions are longer (what compression has to remove).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arithmeticAnswer, generateTask, sortingAnswer, taskAnswer, type TaskRow } from '../../../src/runtime/data/tasks/index.js';
import { RunError } from '../../../src/runtime/types.js';

const arith = (p: Record<string, unknown> = {}, seed = 7) => generateTask('arithmetic', { train_size: 2000, eval_size: 200, ...p }, seed);
const sorting = (p: Record<string, unknown> = {}, seed = 7) => generateTask('sorting', { train_size: 2000, eval_size: 200, ...p }, seed);

const isRedundant = (r: TaskRow): boolean => /\b(check|again|so)\b/.test(r.solution);
const meanLen = (rows: TaskRow[]): number => rows.reduce((a, r) => a + r.solution.length, 0) / rows.length;

describe.each([
  ['arithmetic', arith],
  ['sorting', sorting],
] as const)('%s', (task, gen) => {
  it('is deterministic per seed, and differs between seeds', () => {
    expect(gen({ redundancy: 0.3 }, 5)).toEqual(gen({ redundancy: 0.3 }, 5));
    expect(gen({}, 5).train.slice(0, 20)).not.toEqual(gen({}, 6).train.slice(0, 20));
  });

  it('has the sizes asked for, distinct eval questions, and no eval question in train', () => {
    const { train, eval: ev } = gen({ train_size: 3000, eval_size: 300 });
    expect(train).toHaveLength(3000);
    expect(ev).toHaveLength(300);
    const held = new Set(ev.map((r) => r.question));
    expect(held.size).toBe(300);
    expect(train.filter((r) => held.has(r.question))).toEqual([]);
  });

  it('stays disjoint when the problem space is small', () => {
    const small = task === 'arithmetic' ? { operands: { from: 2, to: 2 }, digits: { from: 1, to: 1 } } : { length: { from: 2, to: 2 }, max_value: 9 };
    const { train, eval: ev } = gen({ ...small, train_size: 500, eval_size: 40 });
    const held = new Set(ev.map((r) => r.question));
    expect(held.size).toBe(40);
    expect(train.some((r) => held.has(r.question))).toBe(false);
  });

  it('answers are exact, and every solution ends with exactly one `Answer: <answer>`', () => {
    const { train, eval: ev } = gen({ redundancy: 0.5 });
    for (const r of [...train, ...ev]) {
      expect(r.answer).toBe(taskAnswer(task, r.question));
      expect(r.solution.endsWith(` Answer: ${r.answer}`)).toBe(true);
      expect(r.solution.split('Answer:')).toHaveLength(2);
    }
  });

  it('is ASCII without control characters', () => {
    for (const r of gen({ redundancy: 0.5 }).train) for (const s of [r.question, r.solution, r.answer]) expect(s).toMatch(/^[\x20-\x7e]+$/);
  });

  it('pads about `redundancy` of the solutions, making them 1.5–2.5x longer', () => {
    const { train } = gen({ redundancy: 0.3, train_size: 4000 });
    const red = train.filter(isRedundant);
    const plain = train.filter((r) => !isRedundant(r));
    expect(red.length / train.length).toBeGreaterThan(0.27);
    expect(red.length / train.length).toBeLessThan(0.33);
    const ratio = meanLen(red) / meanLen(plain);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.5);
    expect(gen({ redundancy: 0 }).train.filter(isRedundant)).toEqual([]);
    expect(gen({ redundancy: 1 }).train.every(isRedundant)).toBe(true);
  });

  it('keeps the same questions when only redundancy changes', () => {
    const q = (r: number) => gen({ redundancy: r }).train.map((x) => x.question);
    expect(q(0)).toEqual(q(0.8));
  });

  it('says so when the settings allow too few problems', () => {
    const tiny = task === 'arithmetic' ? { operands: { from: 2, to: 2 }, digits: { from: 1, to: 1 }, ops: ['add'] } : { length: { from: 2, to: 2 }, max_value: 2 };
    expect(() => gen({ ...tiny, eval_size: 200 })).toThrow(RunError);
    expect(() => gen({ ...tiny, eval_size: 200 })).toThrow(/could only draw \d+ of 200 eval rows/);
  });
});

describe('arithmetic', () => {
  const STEP = /^(-?\d+)([-+*])(\d+)=(-?\d+)$/;

  it('writes one true operation per step, products first (e.g. `4*2=8 3+8=11`)', () => {
    for (const r of arith({ redundancy: 0.5, operands: { from: 2, to: 6 } }).train) {
      const tokens = r.solution.split(' ');
      expect(r.solution).not.toMatch(/[-+*][-+*]/); // never `35+-532`
      const steps = tokens.filter((t) => STEP.test(t));
      expect(steps.length).toBeGreaterThan(0);
      for (const t of steps) {
        const [, a, op, b, c] = STEP.exec(t)!;
        const want = op === '+' ? +a! + +b! : op === '-' ? +a! - +b! : +a! * +b!;
        expect(+c!, `${r.question} ${t}`).toBe(want);
      }
      // Restatements (`so 3+4*2=11`) are true too.
      for (const t of tokens.filter((x) => !STEP.test(x) && /^\d.*=-?\d+$/.test(x))) expect(t.split('=')[1], t).toBe(arithmeticAnswer(t.split('=')[0] + '='));
      const plain = tokens.slice(0, tokens.indexOf('Answer:')).filter((t) => STEP.test(t));
      // In a plain solution the last step's result is the answer.
      if (!isRedundant(r)) expect(plain.at(-1)!.split('=')[1]).toBe(r.answer);
    }
  });

  it('matches the example format', () => {
    const rows = arith({ redundancy: 0, operands: { from: 3, to: 3 } }).train;
    const r = rows.find((x) => /^\d+\+\d+\*\d+=$/.test(x.question))!;
    const [a, b, c] = r.question.slice(0, -1).split(/[+*]/).map(Number);
    expect(r.solution).toBe(`${b}*${c}=${b! * c!} ${a}+${b! * c!}=${a! + b! * c!} Answer: ${a! + b! * c!}`);
  });

  it('respects operands, digits and ops', () => {
    const rows = arith({ operands: { from: 3, to: 5 }, digits: { from: 2, to: 3 }, ops: ['add', 'sub'] }).train;
    for (const r of rows) {
      const nums = r.question.slice(0, -1).split(/[-+]/);
      expect(nums.length).toBeGreaterThanOrEqual(3);
      expect(nums.length).toBeLessThanOrEqual(5);
      for (const n of nums) expect(n).toMatch(/^[1-9]\d{1,2}$/);
      expect(r.question).not.toContain('*');
    }
    expect(rows.some((r) => r.answer.startsWith('-'))).toBe(true); // negative results allowed
  });

  it('keeps products small: no step multiplies past 10^(digits+1)', () => {
    for (const r of arith({ operands: { from: 2, to: 8 }, digits: { from: 1, to: 2 } }).train) {
      for (const t of r.solution.split(' ')) if (t.includes('*')) expect(Math.abs(Number(t.split('=')[1]))).toBeLessThanOrEqual(1000);
    }
    for (const r of arith({ operands: { from: 8, to: 8 }, digits: { from: 6, to: 6 }, ops: ['mul'], train_size: 200, eval_size: 20 }).train) {
      expect(Number.isSafeInteger(Number(r.answer))).toBe(true);
    }
  });

  it('answers any question correctly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 6 }), (seed, ops, digits) => {
        const { train } = generateTask('arithmetic', { operands: { from: 2, to: ops }, digits: { from: 1, to: digits }, train_size: 20, eval_size: 5, redundancy: 0.5 }, seed);
        for (const r of train) {
          expect(r.answer).toBe(arithmeticAnswer(r.question));
          expect(Number.isSafeInteger(Number(r.answer))).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('evaluates with precedence', () => {
    expect(arithmeticAnswer('3+4*2=')).toBe('11');
    expect(arithmeticAnswer('2*3+4*5-6=')).toBe('20');
    expect(arithmeticAnswer('3-8-2=')).toBe('-7');
    expect(arithmeticAnswer('2*3*4=')).toBe('24');
    expect(() => arithmeticAnswer('3+x=')).toThrow();
  });
});

describe('sorting', () => {
  it('takes the smallest remaining number at each step and lists the rest', () => {
    for (const r of sorting({ redundancy: 0 }).train) {
      const xs = r.question.slice('sort '.length).split(' ').map(Number);
      const want: string[] = [];
      let rest = xs;
      for (let k = 0; k < xs.length; k++) {
        const m = Math.min(...rest);
        rest = rest.filter((_, i) => i !== rest.indexOf(m));
        want.push(`${m} [${rest.join(' ')}]`);
      }
      expect(r.solution).toBe(`${want.join(' ')} Answer: ${r.answer}`);
    }
  });

  it('respects length and max_value', () => {
    for (const r of sorting({ length: { from: 4, to: 7 }, max_value: 50 }).train) {
      const xs = r.question.slice(5).split(' ').map(Number);
      expect(xs.length).toBeGreaterThanOrEqual(4);
      expect(xs.length).toBeLessThanOrEqual(7);
      expect(Math.max(...xs)).toBeLessThanOrEqual(50);
    }
  });

  it('redundant checks are true', () => {
    for (const r of sorting({ redundancy: 1 }).train) for (const [, a, b] of r.solution.matchAll(/check (\d+)<=(\d+) ok/g)) expect(+a!).toBeLessThanOrEqual(+b!);
  });

  it('sortingAnswer sorts numerically', () => {
    expect(sortingAnswer('sort 34 7 91 12')).toBe('7 12 34 91');
    expect(sortingAnswer('sort 5 5 1')).toBe('1 5 5');
    expect(() => sortingAnswer('sort')).toThrow();
  });
});

describe('generateTask', () => {
  it('names the known tasks when asked for another', () => {
    expect(() => generateTask('chess', {}, 1)).toThrow(RunError);
    expect(() => generateTask('chess', {}, 1)).toThrow(/unknown generated task "chess"/);
  });

  it('takes defaults from the task table and rejects bad params', () => {
    const { train, eval: ev } = generateTask('arithmetic', { train_size: 10 }, 1);
    expect(train).toHaveLength(10);
    expect(ev).toHaveLength(200);
    expect(() => generateTask('arithmetic', { operands: 'many' }, 1)).toThrow(/`operands` must be a range/);
    expect(() => generateTask('arithmetic', { ops: ['add', 'div'] }, 1)).toThrow(/unknown operation "div"/);
  });
});
