// From .siri to examples and scores: the quickstart's generated dataset with the std reward, and
// a JSONL dataset whose prompt has an escaped literal brace, both compiled by the real compiler.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import type { IR, IRDataset, IRReward } from '../../../src/ir/graph.js';
import { ExampleStream, loadDataset } from '../../../src/runtime/data/dataset.js';
import { buildRewards } from '../../../src/runtime/rewards/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const fixtures = path.join(root, 'test/fixtures/runtime');

function compile(file: string, text?: string): IR {
  const out = compileFile(file, text === undefined ? { mode: 'compile' } : { mode: 'compile', text });
  expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return out.ir!;
}
const nodesOf = <T>(ir: IR, type: string) => ir.nodes.filter((n) => n.type === type) as T[];

describe('the quickstart pipeline', () => {
  it('loads its dataset; the reference solutions earn full reward from final_answer, but for the teacher\'s slips', async () => {
    const file = path.join(root, 'examples/quickstart.siri');
    const ir = compile(file);
    const [ds] = nodesOf<IRDataset>(ir, 'dataset');
    const data = await loadDataset(ds!, { baseDir: path.dirname(file), seed: ir.pipeline.seed });
    expect(data.train).toHaveLength(8000);
    expect(data.eval).toHaveLength(128);
    expect(data.alphabet).toMatch(/^[\x0a\x20-\x7e]+$/);

    const rewards = await buildRewards(nodesOf<IRReward>(ir, 'reward'), { baseDir: path.dirname(file) });
    const batch = new ExampleStream(data.train, { seed: ir.pipeline.seed, name: 'train.rl', shuffle: ds!.shuffle }).next(64);
    const score = (rows: typeof batch) => rewards.score(rows.map((e) => ({ prompt: e.prompt, response: e.response!, answer: e.answer!, truncated: false, length: e.response!.length, budget: 96 })));
    // tasks.chain's imperfect teacher (teacher_error = 0.3) slips in about 30 % of the training
    // solutions and carries the slip to a wrong final answer; the held-out split has no slips.
    const right = (await score(batch)).correct.filter(Boolean).length / batch.length;
    expect(right).toBeGreaterThan(0.5);
    expect(right).toBeLessThan(0.9);
    const held = await score(data.eval);
    expect(held.total).toEqual(data.eval.map(() => 1));
    // The longest prompt + solution fits the model's 256-token context with room to spare.
    expect(Math.max(...data.train.map((e) => e.prompt.length + e.response!.length))).toBeLessThan(160);
  });
});

describe('a JSONL pipeline', () => {
  it('substitutes listed fields only, keeping an escaped literal brace', async () => {
    const src = [
      'import "std/rewards"',
      'pipeline p { seed = 3 }',
      'model m { source = scratch(layers = 1, d_model = 16, heads = 2, kv_heads = 2, context = 64 tokens) }',
      'dataset d {',
      '  source = jsonl("data/good.jsonl")',
      '  prompt = "{problem} put it in \\\\boxed\\{}."',
      '  answer = "{answer}"',
      '  holdout = 2 rows',
      '}',
      'train t { algorithm = grpo  policy = m  data = d  rewards = [rewards.boxed_math]  max_tokens = 32 tokens  steps = 2 steps }',
    ].join('\n');
    const ir = compile(path.join(fixtures, 'inline.siri'), src);
    const [ds] = nodesOf<IRDataset>(ir, 'dataset');
    expect(ds!.prompt.fields).toEqual(['problem']);
    const data = await loadDataset(ds!, { baseDir: fixtures, seed: ir.pipeline.seed });
    expect([data.train.length, data.eval.length]).toEqual([8, 2]);
    const all = [...data.train, ...data.eval].sort((a, b) => Number(a.origin.split(':')[1]) - Number(b.origin.split(':')[1]));
    expect(all[0]!.prompt).toBe('What is 1+1? put it in \\boxed{}.');
    const rewards = await buildRewards(nodesOf<IRReward>(ir, 'reward'), { baseDir: fixtures });
    const s = await rewards.score([{ prompt: all[2]!.prompt, response: 'half: \\boxed{0.5}', answer: all[2]!.answer!, truncated: false, length: 17, budget: 32 }]);
    expect(s.correct).toEqual([true]);
  });
});
