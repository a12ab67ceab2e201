// User reward modules run in a worker thread: a loop or a promise that never settles is cut off
// by `timeout_s` (and the next call works again), process.exit() ends only the worker, values
// that are not scores are failures that say what came back, `{score, correct}` decides accuracy,
// a reward failing on most of a batch stops with the first error and its file:line, and `.ts`
// modules load. Stand-in modules are written into a temporary folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IRReward } from '../../../src/ir/graph.js';
import { buildRewards } from '../../../src/runtime/rewards/index.js';
import { RunError, type RewardInput, type RewardSet } from '../../../src/runtime/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-sandbox-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => (fs.writeFileSync(path.join(dir, name), text), name);

const MODULES = {
  'loop.mjs': `export default function (x) {\n  if (x.response === 'loop') for (;;) {}\n  return 1;\n}\n`,
  'never.mjs': `export default async function (x) {\n  if (x.response === 'never') await new Promise(() => {});\n  return 1;\n}\n`,
  'exit.mjs': `export default function (x) {\n  if (x.response === 'exit') process.exit(0);\n  return 1;\n}\n`,
  'throws.mjs': `export default function (x) {\n  throw new Error('no verifier for ' + x.response);\n}\n`,
  'values.mjs': `export default async function (x) {\n  const v = { num: 0.5, yes: true, no: false, obj: { score: 0.7, correct: true }, objwrong: { score: 1, correct: false }, str: 'yes', none: undefined, nan: NaN, fn: () => 1, badcorrect: { score: 1, correct: 'yes' } };\n  return v[x.response];\n}\n`,
  'hash.mjs': `export default (x) => {\n  const got = /#(\\d+)\\s*$/.exec(x.response)?.[1];\n  return { score: got === x.answer ? 1 : 0, correct: got === x.answer };\n};\n`,
  'typed.ts': `import { parse } from './parse.ts';\ninterface Input { response: string; answer?: string }\nexport default function score(x: Input): { score: number; correct: boolean } {\n  const ok: boolean = parse(x.response) === x.answer;\n  return { score: ok ? 1 : 0, correct: ok };\n}\n`,
  'parse.ts': `export function parse(s: string): string | undefined {\n  if (s === 'bad') throw new TypeError('cannot parse ' + s);\n  return /#(\\d+)/.exec(s)?.[1];\n}\n`,
  'broken.ts': `export default function (x: { response: string }) {\n  return x.response.length +;\n}\n`,
};
for (const [name, text] of Object.entries(MODULES)) write(name, text);

function custom(module: string, params: Record<string, unknown> = {}, o: Partial<IRReward> = {}): IRReward {
  return { id: 'reward.mine', type: 'reward', name: 'mine', kind: 'custom', weight: 1, truncated: 'zero', on_error: 'zero', params: { module, export: 'default', max_failure_rate: 1, ...params }, ...o };
}
const input = (response: string, answer = '3'): RewardInput => ({ prompt: 'p', response, answer, truncated: false, length: response.length, budget: 64 });
async function withSet<T>(node: IRReward, f: (s: RewardSet) => Promise<T>): Promise<T> {
  const s = await buildRewards([node], { baseDir: dir });
  try {
    return await f(s);
  } finally {
    await s.close?.();
  }
}

describe('the reward sandbox', () => {
  it('times out a call that loops forever, then works again (the worker is restarted)', async () => {
    const b = await withSet(custom('loop.mjs', { timeout_s: 0.3 }), (s) => s.score([input('ok'), input('loop'), input('ok')]));
    expect(b.total).toEqual([1, 0, 1]);
    expect(b.errors).toEqual([{ reward: 'mine', index: 1, message: expect.stringMatching(/^timed out after 0\.3 s .*set `timeout_s`/) }]);
  });

  it('times out a promise that never settles', async () => {
    const b = await withSet(custom('never.mjs', { timeout_s: 0.3 }), (s) => s.score([input('never'), input('ok')]));
    expect(b.total).toEqual([0, 1]);
    expect(b.errors[0]!.message).toMatch(/^timed out after 0\.3 s/);
  });

  it('reports process.exit() in the module as that call failing, with where it was called, and goes on', async () => {
    const b = await withSet(custom('exit.mjs'), (s) => s.score([input('exit'), input('ok')]));
    expect(b.total).toEqual([0, 1]);
    expect(b.errors).toEqual([{ reward: 'mine', index: 0, message: 'called process.exit(0) (a reward must return a score, not end the process)', at: `${path.join(dir, 'exit.mjs')}:2:38` }]);
  });

  it('stops above max_failure_rate with the first error and its file:line', async () => {
    const e = (await withSet(custom('throws.mjs', { max_failure_rate: 0.5 }), (s) => s.score(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((x) => input(x)))).catch((x: unknown) => x)) as RunError;
    expect(e).toBeInstanceOf(RunError);
    expect(e.code).toBe('R0301');
    // Every call so far has failed: the run stops at the second.
    expect(e.message).toBe(`reward \`mine\` failed on 2 of its last 2 calls (more than its max_failure_rate, 50 %); the first failure: no verifier for a (at ${path.join(dir, 'throws.mjs')}:2:9)`);
    expect(e.hint).toContain('module throws.mjs');
  });

  it('takes a number, a boolean or {score, correct}; anything else fails saying what came back', async () => {
    const names = ['num', 'yes', 'no', 'obj', 'objwrong', 'str', 'none', 'nan', 'fn', 'badcorrect'];
    const b = await withSet(custom('values.mjs'), (s) => s.score(names.map((n) => input(n))));
    expect(b.total).toEqual([0.5, 1, 0, 0.7, 1, 0, 0, 0, 0, 0]);
    expect(b.correct).toEqual([false, true, false, true, false, false, false, false, false, false]);
    expect(b.errors.map((e) => [names[e.index], e.message])).toEqual([
      ['str', 'returned "yes": return a finite number, a boolean, or { score, correct }'],
      ['none', 'returned undefined (no return value?): return a finite number, a boolean, or { score, correct }'],
      ['nan', 'returned NaN, not a finite number'],
      ['fn', 'returned a function that cannot leave its worker: return a finite number, a boolean, or { score, correct }'],
      ['badcorrect', 'returned an object whose `correct` is "yes", not true or false'],
    ]);
  });

  it('loads a .ts module with its own .ts imports; stack locations point into the .ts source', async () => {
    const b = await withSet(custom('typed.ts'), (s) => s.score([input('so #3'), input('so #4'), input('bad')]));
    expect(b.total).toEqual([1, 0, 0]);
    expect(b.correct).toEqual([true, false, false]);
    expect(b.errors).toEqual([{ reward: 'mine', index: 2, message: 'cannot parse bad', at: `${path.join(dir, 'parse.ts')}:2:26` }]);
  });

  it('reports a .ts module that does not compile, with its line', async () => {
    const e = (await buildRewards([custom('broken.ts')], { baseDir: dir }).catch((x: unknown) => x)) as RunError;
    expect(e).toBeInstanceOf(RunError);
    expect(e.message).toMatch(/^reward `mine`: cannot compile the TypeScript module broken\.ts: .*broken\.ts:2:\d+: Unexpected ";"/);
  });

  it('lets a custom reward judge accuracy when the stage has no built-in answer check', async () => {
    const fmt: IRReward = { id: 'reward.fmt', type: 'reward', name: 'fmt', kind: 'regex', weight: 0.1, truncated: 'zero', on_error: 'zero', params: { pattern: '#' } };
    const set = await buildRewards([fmt, custom('hash.mjs')], { baseDir: dir });
    try {
      expect(set.judge).toBe('mine');
      const b = await set.score([input('x #123', '123'), input('x #12', '123')]);
      expect(b.correct).toEqual([true, false]);
    } finally {
      await set.close?.();
    }
  });
});
