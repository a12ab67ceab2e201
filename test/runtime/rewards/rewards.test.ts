// Every built-in reward kind on hand-computed cases, and how a reward set combines them:
// weights, truncation (zero vs score), `correct`, and failures (recorded, or fatal).
import { describe, expect, it } from 'vitest';
import type { IRReward } from '../../../src/ir/graph.js';
import { buildRewards, overlong } from '../../../src/runtime/rewards/index.js';
import { RunError, type RewardInput } from '../../../src/runtime/types.js';

const baseDir = '/nonexistent'; // built-in kinds never touch the disk

function reward(kind: IRReward['kind'], params: Record<string, unknown> = {}, o: Partial<IRReward> = {}): IRReward {
  return { id: `reward.${o.name ?? kind}`, type: 'reward', name: kind, kind, weight: 1, truncated: 'zero', on_error: 'zero', params, ...o };
}

function input(response: string, o: Partial<RewardInput> = {}): RewardInput {
  return { prompt: 'p', response, answer: '11', truncated: false, length: response.length, budget: 100, ...o };
}

/** Scores of one reward on some inputs. */
async function scores(r: IRReward, inputs: RewardInput[]): Promise<number[]> {
  return (await (await buildRewards([r], { baseDir })).score(inputs)).total;
}

describe('exact_answer', () => {
  const r = reward('exact_answer', { pattern: 'Answer:\\s*(.+)' });

  it('compares the trimmed first capture group of the LAST match with the trimmed reference', async () => {
    expect(await scores(r, [input('4*2=8 3+8=11 Answer: 11'), input('Answer: 11   '), input('Answer: 12\nno, Answer: 11'), input('Answer: 11\nno, Answer: 12')])).toEqual([1, 1, 1, 0]);
    expect(await scores(r, [input('Answer: 11', { answer: ' 11 ' }), input('Answer: 110'), input('11'), input('')])).toEqual([1, 0, 0, 0]);
  });

  it('uses the whole match when the pattern has no group', async () => {
    expect(await scores(reward('exact_answer', { pattern: '\\d+$' }), [input('so 11'), input('11 so')])).toEqual([1, 0]);
  });

  it('records an error when the dataset has no answer', async () => {
    const set = await buildRewards([{ ...r, params: { ...r.params, max_failure_rate: 1 } }], { baseDir });
    const b = await set.score([input('Answer: 11', { answer: undefined })]);
    expect(b.total).toEqual([0]);
    expect(b.errors).toEqual([{ reward: 'exact_answer', index: 0, message: expect.stringContaining('no reference answer') }]);
  });

  it('stops the run when it fails on more than max_failure_rate of its recent calls, across batches, judged on at least 8 (default: half)', async () => {
    const set = await buildRewards([r], { baseDir });
    const bad = (): ReturnType<typeof input> => input('Answer: 11', { answer: undefined });
    // A small batch that fails on its only call does not stop the run: 1 is not more than half of 8.
    expect(await set.score([bad()]).then(() => undefined, (x: unknown) => x)).toBeUndefined();
    expect(await set.score([input('Answer: 11'), bad(), bad()]).then(() => undefined, (x: unknown) => x)).toBeUndefined(); // 3 of 4
    const f = (await set.score([bad(), bad(), input('Answer: 11')]).catch((x: unknown) => x)) as RunError;
    expect(f).toBeInstanceOf(RunError);
    expect(f.code).toBe('R0301');
    expect(f.message).toBe('reward `exact_answer` failed on 5 of its last 6 calls (more than its max_failure_rate, 50 %); the first failure: no reference answer: give the dataset an `answer` template');
  });
});

describe('numeric_equal', () => {
  it('parses numbers and compares within an absolute tolerance', async () => {
    const r = reward('numeric_equal', { pattern: 'Answer:\\s*(.+)', tolerance: 0.01 });
    const got = await scores(r, [input('Answer: 11.0'), input('Answer: 11.009'), input('Answer: 11.02'), input('Answer: 1,000', { answer: '1000' }), input('Answer: eleven'), input('Answer: -0.5', { answer: '-.5' }), input('Answer: $12.', { answer: '12' })]);
    expect(got).toEqual([1, 1, 0, 1, 0, 1, 1]);
  });

  it('defaults to tolerance 1e-6', async () => {
    expect(await scores(reward('numeric_equal', { pattern: 'Answer:\\s*(.+)' }), [input('Answer: 11.0000001'), input('Answer: 11.001')])).toEqual([1, 0]);
  });
});

describe('math_equal', () => {
  it('checks the last \\boxed{} (else `Answer:`) with a relative tolerance', async () => {
    const r = reward('math_equal', { tolerance: 1e-4 });
    const got = await scores(r, [input('so \\boxed{\\frac{1}{2}}', { answer: '0.5' }), input('Answer: 0.5', { answer: '\\frac12' }), input('\\boxed{2} no \\boxed{3}', { answer: '2' }), input('nothing', { answer: '2' })]);
    expect(got).toEqual([1, 1, 0, 0]);
  });
});

describe('regex', () => {
  it('scores 1 when the response matches, the same on every call', async () => {
    const r = reward('regex', { pattern: '^\\d+[-+*]' });
    expect(await scores(r, [input('4*2=8'), input('4*2=8'), input('x 4*2'), input('')])).toEqual([1, 1, 0, 0]);
  });

  it('rejects an invalid pattern when built, naming the reward', async () => {
    await expect(buildRewards([reward('regex', { pattern: '(' }, { name: 'bad' })], { baseDir })).rejects.toThrow(/reward `bad`: `pattern` is not a valid regular expression/);
    await expect(buildRewards([reward('regex', {})], { baseDir })).rejects.toThrow(RunError);
  });
});

describe('length_penalty', () => {
  it('is −coef × max(0, length − budget) with target = budget', async () => {
    const r = reward('length_penalty', { target: 'budget', coef: 0.01 });
    const got = await scores(r, [input('', { length: 50 }), input('', { length: 100 }), input('', { length: 130 })]);
    expect(got[0]).toBe(0);
    expect(got[1]).toBe(0);
    expect(got[2]).toBeCloseTo(-0.3, 12);
  });

  it('takes a number of tokens as target', async () => {
    const got = await scores(reward('length_penalty', { target: 40, coef: 0.5 }), [input('', { length: 39 }), input('', { length: 44 })]);
    expect(got).toEqual([0, -2]);
  });
});

describe('overlong (DAPO soft punishment)', () => {
  // L = 100, B = 20: free up to 80, linear to −penalty at 100, −penalty beyond.
  it.each([
    [0, 0],
    [80, 0],
    [81, -0.05],
    [90, -0.5],
    [99, -0.95],
    [100, -1],
    [101, -1],
    [500, -1],
  ])('length %i → %f', (length, want) => {
    expect(overlong(length, 100, 20, 1)).toBeCloseTo(want, 12);
  });

  it('scales by penalty and weight, through the reward set', async () => {
    const r = reward('overlong', { buffer: 20, penalty: 2 }, { weight: 0.5, truncated: 'score' });
    const got = await scores(r, [input('', { length: 80 }), input('', { length: 90 }), input('', { length: 100 })]);
    expect(got.map((x) => x + 0)).toEqual([0, -0.5, -1]);
  });

  it('with buffer 0 is a hard cut at the budget', () => {
    expect([overlong(100, 100, 0, 1), overlong(101, 100, 0, 1)]).toEqual([0, -1]);
  });
});

describe('a reward set', () => {
  const answer = reward('exact_answer', { pattern: 'Answer:\\s*(.+)' }, { weight: 2 });
  const fmt = reward('regex', { pattern: 'Answer:' }, { weight: 0.5 });
  const len = reward('length_penalty', { target: 10, coef: 0.1 }, { weight: 1, truncated: 'score' });

  it('sums weighted scores; parts are weighted, by reward name', async () => {
    const set = await buildRewards([answer, fmt, len], { baseDir });
    const b = await set.score([input('Answer: 11', { length: 10 }), input('Answer: 7', { length: 15 }), input('blah', { length: 20 })]);
    expect(b.parts['exact_answer']).toEqual([2, 0, 0]);
    expect(b.parts['regex']).toEqual([0.5, 0.5, 0]);
    expect(b.parts['length_penalty']!.map((x) => +x.toFixed(12) + 0)).toEqual([0, -0.5, -1]);
    expect(b.total.map((x) => +x.toFixed(12))).toEqual([2.5, 0, -1]);
    expect(b.correct).toEqual([true, false, false]);
    expect(b.errors).toEqual([]);
  });

  it('zeroes a truncated response for `truncated = zero`, keeps it for `score`', async () => {
    const set = await buildRewards([answer, fmt, len], { baseDir });
    const b = await set.score([input('Answer: 11', { length: 30, truncated: true })]);
    expect(b.parts['exact_answer']).toEqual([0]);
    expect(b.parts['regex']).toEqual([0]);
    expect(b.parts['length_penalty']![0]).toBeCloseTo(-2, 12); // truncated = score
    expect(b.total[0]).toBeCloseTo(-2, 12);
    expect(b.correct).toEqual([false]); // never correct when cut off

    const keep = await buildRewards([{ ...answer, truncated: 'score' }], { baseDir });
    const k = await keep.score([input('Answer: 11', { truncated: true })]);
    expect(k.total).toEqual([2]);
    expect(k.correct).toEqual([false]);
  });

  it('takes `correct` from the first answer-checking reward', async () => {
    const strict = reward('exact_answer', { pattern: 'Answer:\\s*(.+)' }, { name: 'strict', id: 'reward.strict' });
    const loose = reward('math_equal', { tolerance: 0.1 }, { name: 'loose', id: 'reward.loose' });
    const b = await (await buildRewards([fmt, strict, loose], { baseDir })).score([input('Answer: 11.05')]);
    expect(b.parts['loose']).toEqual([1]);
    expect(b.correct).toEqual([false]);
    const none = await (await buildRewards([fmt], { baseDir })).score([input('Answer: 11')]);
    expect(none.correct).toEqual([false]);
  });

  it('keys parts by id when two rewards share a name', async () => {
    const a = reward('regex', { pattern: 'a' }, { id: 'reward.std/x.r', name: 'r' });
    const b = reward('regex', { pattern: 'b' }, { id: 'reward.r', name: 'r' });
    const s = await (await buildRewards([a, b], { baseDir })).score([input('a')]);
    expect(s.parts).toEqual({ 'reward.std/x.r': [1], 'reward.r': [0] });
  });

  it('scores an empty batch', async () => {
    expect(await (await buildRewards([answer], { baseDir })).score([])).toEqual({ total: [], parts: { exact_answer: [] }, correct: [], errors: [], found: [] });
  });
});
