// Custom rewards from a user module (.mjs fixtures): loaded by buildRewards, errors counted and
// scored 0, or fatal with on_error = fail; a missing module or export names the path.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IRReward } from '../../../src/ir/graph.js';
import { buildRewards } from '../../../src/runtime/rewards/index.js';
import { RunError, type RewardInput } from '../../../src/runtime/types.js';

const baseDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/runtime');

function custom(module: string, o: Partial<IRReward> = {}, exp?: string): IRReward {
  return { id: 'reward.mine', type: 'reward', name: 'mine', kind: 'custom', weight: 1, truncated: 'zero', on_error: 'zero', params: exp ? { module, export: exp } : { module }, ...o };
}

const input = (response: string, o: Partial<RewardInput> = {}): RewardInput => ({ prompt: 'p', response, answer: '3', truncated: false, length: response.length, budget: 64, ...o });

describe('custom rewards', () => {
  it('calls the default export, weighted', async () => {
    const set = await buildRewards([custom('rewards/contains.mjs', { weight: 3 })], { baseDir });
    const b = await set.score([input('so Answer: 3'), input('no answer')]);
    expect(b.total).toEqual([3, 0]);
    expect(b.parts['mine']).toEqual([3, 0]);
    expect(b.correct).toEqual([true, false]); // the only answer judge: a plain number is correct at full marks (1)
    await set.close?.();
  });

  it('calls a named async export', async () => {
    const set = await buildRewards([custom('rewards/contains.mjs', {}, 'asyncLength')], { baseDir });
    expect((await set.score([input('abcd')])).total).toEqual([4]);
  });

  it('counts a reward that throws or returns NaN, scoring 0', async () => {
    const set = await buildRewards([custom('rewards/throws.mjs', { params: { module: 'rewards/throws.mjs', export: 'score', max_failure_rate: 1 } })], { baseDir });
    const b = await set.score([input('fine'), input('boom'), input('nan'), input('boom', { truncated: true })]);
    expect(b.total).toEqual([1, 0, 0, 0]);
    expect(b.errors).toEqual([
      { reward: 'mine', index: 1, message: 'exploded on purpose', at: 'test/fixtures/runtime/rewards/throws.mjs:3:46' },
      { reward: 'mine', index: 2, message: 'returned NaN, not a finite number' },
    ]);
  });

  it('with on_error = fail, rejects naming the reward', async () => {
    const set = await buildRewards([custom('rewards/throws.mjs', { on_error: 'fail' }, 'score')], { baseDir });
    await expect(set.score([input('fine')])).resolves.toMatchObject({ total: [1] });
    const e = await set.score([input('fine'), input('boom')]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RunError);
    expect((e as RunError).message).toBe('reward `mine` failed on response 1: exploded on purpose (at test/fixtures/runtime/rewards/throws.mjs:3:46)');
  });

  it('names the path of a missing module', async () => {
    const e = await buildRewards([custom('rewards/nope.mjs')], { baseDir }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RunError);
    expect((e as RunError).message).toBe('reward `mine`: cannot find the module rewards/nope.mjs');
    expect((e as RunError).hint).toContain(path.join(baseDir, 'rewards/nope.mjs'));
  });

  it('names the module and the export that is missing, listing the functions it has', async () => {
    const e = (await buildRewards([custom('rewards/contains.mjs', {}, 'score')], { baseDir }).catch((x: unknown) => x)) as RunError;
    expect(e).toBeInstanceOf(RunError);
    expect(e.message).toBe('reward `mine`: the module rewards/contains.mjs has no function export "score"');
    expect(e.hint).toContain('asyncLength');
    await expect(buildRewards([custom('rewards/contains.mjs', {}, 'notAFunction')], { baseDir })).rejects.toThrow(/no function export "notAFunction"/);
  });

  it('reports a module that fails to load', async () => {
    await expect(buildRewards([custom('rewards/broken.mjs')], { baseDir })).rejects.toThrow(/cannot load the module rewards\/broken\.mjs: broken at import/);
  });
});
