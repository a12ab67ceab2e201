// siri_verl.compute_score scores what src/runtime/rewards/ scores: the same reward nodes in one
// graph, the same responses, budgets, lengths and truncation, compared case by case with
// buildRewards(...).score(...) for every reward kind, weights, `truncated = zero | score`, overlong
// and length_penalty against each step's own budget, a custom reward's `python_module`, failures,
// and validation rows judged by the eval's judge alone.
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IR, IREval, IRReward } from '../../../src/ir/graph.js';
import { buildRewards } from '../../../src/runtime/rewards/index.js';
import type { RewardInput } from '../../../src/runtime/types.js';
import { compileIR, drive, grpoStage, makeJob, NO_PYTHON, PY_HELPERS, PY_SRC } from './python-job.js';

const reward = (name: string, kind: IRReward['kind'], params: Record<string, unknown>, o: Partial<IRReward> = {}): IRReward => ({ id: `reward.${name}`, type: 'reward', name, kind, weight: 1, truncated: 'zero', on_error: 'zero', params, ...o });

/** dapo-baseline's graph with the GRPO stage's rewards replaced by `rewards` (its eval's judge kept). */
function graphWith(rewards: IRReward[]): IR {
  const ir = compileIR('examples/dapo-baseline.siri');
  const stage = grpoStage(ir);
  const judges = new Set(ir.nodes.filter((n): n is IREval => n.type === 'eval').map((e) => e.judge));
  ir.nodes = [...ir.nodes.filter((n) => n.type !== 'reward' || judges.has(n.id)), ...rewards];
  stage.rewards = rewards.map((r) => r.id);
  return ir;
}

interface Case {
  response: string;
  answer?: string;
  truncated: boolean;
  length: number;
  budget: number;
}

const RESPONSES = [
  'So \\boxed{5}.', 'Answer: 5', 'Answer:  5 ', 'answer: 5', 'Answer: 6\nAnswer: 5', 'x = 1,234.5', 'x = 1234.5001', 'x = $12.', 'Answer: \\frac{10}{2}', '\\boxed{\\frac{1}{2}}', '\\boxed{0.5}', 'no answer at all',
  'The final answer is $5$. I hope it is correct.', '\\boxed{3} or \\boxed{4}', 'BOOL 5', 'DICT right', 'DICT wrong', 'hello world',
];

/** Responses × answers × (length, budget, truncated) around the overlong buffer and the budget. */
function cases(): Case[] {
  const out: Case[] = [];
  const shapes: [number, number, boolean][] = [[10, 200, false], [120, 200, false], [150, 200, false], [200, 200, true], [199, 200, false], [60, 64, false], [64, 64, true], [300, 1000, false], [950, 1000, false], [230, 200, true]];
  RESPONSES.forEach((response, i) => {
    for (const answer of ['5', '1234.5', '0.5', '12']) {
      const [length, budget, truncated] = shapes[(i + answer.length) % shapes.length]!;
      out.push({ response, answer, length, budget, truncated });
    }
  });
  return out;
}

const extraInfo = (c: Case, loop = 'train') => ({ split: 'train', index: 0, siri_loop: loop, siri_budget: c.budget, siri_response_len: c.length, siri_truncated: c.truncated });

/** The Python results and the TypeScript batch for the same cases, as {score, acc, found, parts}. */
async function both(rewards: IRReward[], cs: Case[], o: { loop?: string; judge?: IRReward; files?: string[] } = {}) {
  const dir = makeJob(graphWith(rewards));
  for (const f of o.files ?? []) copyFileSync(path.join(PY_HELPERS, f), path.join(dir, f));
  const py = drive<{ ok?: Record<string, number>; error?: string }>(dir, cs.map((c) => ({ op: 'score', data_source: 'siric/x', solution_str: c.response, ground_truth: c.answer ?? null, extra_info: extraInfo(c, o.loop) })));
  const set = await buildRewards(o.judge ? [o.judge] : rewards, { baseDir: dir, ...(o.judge ? { judge: o.judge } : {}) });
  const inputs: RewardInput[] = cs.map((c) => ({ prompt: '', response: c.response, truncated: c.truncated, length: c.length, budget: c.budget, ...(c.answer === undefined ? {} : { answer: c.answer }) }));
  const ts = await set.score(inputs);
  await set.close?.();
  return { py, ts };
}

/** Every case where Python and TypeScript differ: score, acc, found and each reward's part. */
function differences(r: Awaited<ReturnType<typeof both>>, cs: Case[]): string[] {
  const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) <= 1e-12;
  return cs.flatMap((c, i) => {
    const p = r.py[i]!;
    if (!p.ok) return [`case ${i} ${JSON.stringify(c)}: python failed: ${p.error}`];
    const d: string[] = [];
    if (!close(p.ok['score'], r.ts.total[i]!)) d.push(`score python ${p.ok['score']}, ts ${r.ts.total[i]}`);
    if (p.ok['acc'] !== (r.ts.correct[i] ? 1 : 0)) d.push(`acc python ${p.ok['acc']}, ts ${r.ts.correct[i]}`);
    if (p.ok['found'] !== (r.ts.found?.[i] ? 1 : 0)) d.push(`found python ${p.ok['found']}, ts ${r.ts.found?.[i]}`);
    for (const [k, v] of Object.entries(r.ts.parts)) if (!close(p.ok[`reward/${k}`], v[i]!)) d.push(`reward/${k} python ${p.ok[`reward/${k}`]}, ts ${v[i]}`);
    return d.length ? [`case ${i} ${JSON.stringify(c)}: ${d.join('; ')}`] : [];
  });
}

describe.skipIf(NO_PYTHON)('siri_verl.compute_score', () => {
  it('answer kinds, regex, overlong and length_penalty against the step budget, weights, truncation', async () => {
    const rewards = [
      reward('boxed', 'math_equal', { tolerance: 0 }),
      reward('exact', 'exact_answer', {}, { weight: 0.5 }),
      reward('numeric', 'numeric_equal', { pattern: '=\\s*(\\S+)', tolerance: 0.01 }, { weight: 2, truncated: 'score' }),
      reward('has_box', 'regex', { pattern: '\\\\boxed\\{' }, { weight: 0.1, truncated: 'score' }),
      reward('overlong', 'overlong', { buffer: 64, penalty: 1 }, { truncated: 'score' }),
      reward('short', 'length_penalty', { coef: 0.01 }, { weight: 0.5, truncated: 'score' }),
      reward('short100', 'length_penalty', { target: 100 }, { truncated: 'score' }),
    ];
    const cs = cases();
    const r = await both(rewards, cs);
    expect(differences(r, cs)).toEqual([]);
    // The cases reach every branch: right and wrong answers, cut-off ones, penalties.
    expect(new Set(r.ts.correct)).toEqual(new Set([true, false]));
    expect(r.ts.parts['overlong']!.some((v) => v < 0 && v > -1) && r.ts.parts['overlong']!.includes(-1)).toBe(true);
    expect(cs.some((c) => c.truncated)).toBe(true);
  });

  it('judges accuracy by the first answer reward, after weights, with the judge alone on validation rows', async () => {
    const rewards = [reward('has_box', 'regex', { pattern: 'boxed' }, { weight: 3 }), reward('exact', 'exact_answer', { pattern: 'Answer:\\s*(\\d+)' }, { weight: 0.25 })];
    const cs = cases();
    expect(differences(await both(rewards, cs), cs)).toEqual([]);
    const ir = compileIR('examples/dapo-baseline.siri');
    const judge = ir.nodes.find((n): n is IRReward => n.id === (ir.nodes.find((e): e is IREval => e.type === 'eval')!.judge ?? ''))!;
    expect(differences(await both(rewards, cs, { loop: 'eval', judge }), cs)).toEqual([]);
  });

  it("dapo-baseline's own rewards (overlong with truncated = score, boxed_math)", async () => {
    const ir = compileIR('examples/dapo-baseline.siri');
    const rewards = grpoStage(ir).rewards.map((id) => ir.nodes.find((n) => n.id === id) as IRReward);
    const cs = cases().map((c) => ({ ...c, budget: c.budget * 40, length: c.length * 40 }));
    const r = await both(rewards, cs);
    expect(differences(r, cs)).toEqual([]);
    expect(r.ts.parts['overlong']!.some((v) => v < 0)).toBe(true);
  });

  it('a custom reward through its python_module, as the same module in JavaScript', async () => {
    const rewards = [reward('mine', 'custom', { module: 'custom_reward.mjs', python_module: 'custom_reward.py', max_failure_rate: 1 }, { weight: 2 })];
    const cs = [...cases(), { response: 'NAN', answer: '1', truncated: false, length: 1, budget: 9 }, { response: 'THROW', answer: '1', truncated: false, length: 1, budget: 9 }];
    expect(differences(await both(rewards, cs, { files: ['custom_reward.py', 'custom_reward.mjs'] }), cs)).toEqual([]);
  });

  it('a reference-less row fails that reward (0), too many failures stop, on_error = fail stops at once', async () => {
    const noAnswer = (n: number): Case[] => Array.from({ length: n }, (_, i) => ({ response: `x = ${i}`, truncated: false, length: 5, budget: 50 }));
    const rewards = [reward('numeric', 'numeric_equal', { pattern: '=\\s*(\\S+)' }), reward('has_x', 'regex', { pattern: 'x' })];
    const cs = [...cases().slice(0, 10), ...noAnswer(1), ...cases().slice(10, 20), ...noAnswer(1)];
    expect(differences(await both(rewards, cs), cs)).toEqual([]);

    const stop = drive<{ error?: string }>(makeJob(graphWith(rewards)), noAnswer(2).map((c) => ({ op: 'score', data_source: 's', solution_str: c.response, ground_truth: null, extra_info: extraInfo(c) })));
    expect(stop[1]!.error).toContain('reward `numeric` failed on 2 of its last 2 calls (more than its max_failure_rate, 50 %); the first failure: no reference answer');
    const fail = drive<{ error?: string }>(makeJob(graphWith([{ ...rewards[0]!, on_error: 'fail' }])), noAnswer(1).map((c) => ({ op: 'score', data_source: 's', solution_str: c.response, ground_truth: null, extra_info: extraInfo(c) })));
    expect(fail[0]!.error).toContain('reward `numeric` failed: no reference answer');
  });

  it('refuses rows that did not run through the siri agent loops, and a reward needing a length it lacks', () => {
    const dir = makeJob(graphWith([reward('overlong', 'overlong', { buffer: 8 })]));
    const [plain, noLen] = drive<{ error?: string }>(dir, [
      { op: 'score', data_source: 's', solution_str: 'x', ground_truth: '1', extra_info: { split: 'train', index: 3 } },
      { op: 'score', data_source: 's', solution_str: 'x', ground_truth: '1', extra_info: { siri_loop: 'train', siri_truncated: false, siri_budget: 9 } },
    ]);
    expect(plain!.error).toContain('this row did not run through the siri_budget or siri_eval agent loop');
    expect(noLen!.error).toContain("the reward needs the response's length, which the agent loop records (extra_info.siri_response_len)");
  });
});

describe.skipIf(NO_PYTHON)('siri_verl.js_regex', () => {
  it("matches as JavaScript's RegExp does on the patterns users write for exact_answer, numeric_equal and regex", () => {
    const patterns: [string, string][] = [
      ['Answer:\\s*(.+)', ''], ['answer:\\s*(\\d+)', 'i'], ['=\\s*(\\S+)', ''], ['^#### (.*)$', 'm'], ['(.*)$', ''], ['\\bis\\b\\s+(\\w+)', ''], ['[\\s\\S]+?(\\d)', ''],
      ['[^\\s$]+', ''], ['(?<num>\\d+)\\s*\\k<num>', ''], ['\\$(\\d+)\\.?', ''], ['x{2}|y{,2}', ''], ['[a-c\\S]', ''], ['[^a\\S]', ''], ['\\e\\q', ''], ['\\/(\\w)', ''], ['.', ''], ['[]|[^]', ''],
      ['(?:final )?answer is\\s*\\$?([^$\\n]+)', 'i'], ['\\\\boxed\\{([^}]*)\\}', ''], ['^\\s*(\\d+)\\s*$', 'm'],
    ];
    const texts = ['Answer: 42\nanswer:  7 \r\nANSWER:3', 'x = 12, y =\u00a0-3.5', '#### 5\r\n#### 6\u2028#### 7', 'the answer is $9$ and this is it', 'xx yy y{,2} \\e q /a', '\\boxed{1} \\boxed{x+1}', ' 12 \n 3\u3000\n4'];
    const calls = patterns.flatMap(([p, f]) => texts.map((t) => ({ p, f, t })));
    const got = drive<{ ok?: [number, string, string | null][]; error?: string }>(PY_SRC, calls.map(({ p, f, t }) => ({ op: 'regex', pattern: p, flags: f, text: t })));
    const wrong = calls.flatMap(({ p, f, t }, i) => {
      const rx = new RegExp(p, f + 'g');
      const want = [...t.matchAll(rx)].map((m) => [m.index, m[0], m.length > 1 ? (m[1] ?? null) : null]);
      return JSON.stringify(got[i]!.ok) === JSON.stringify(want) ? [] : [`/${p}/${f} on ${JSON.stringify(t)}: python ${JSON.stringify(got[i])}, js ${JSON.stringify(want)}`];
    });
    expect(wrong).toEqual([]);
  });
});
