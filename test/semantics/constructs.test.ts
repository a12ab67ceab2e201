// Every construct of the language, from source to the execution graph.
import { describe, expect, it } from 'vitest';
import type { IRDataset, IREval, IRModel, IRReward, IRSchedule, IRTrain } from '../../src/ir/graph.js';
import { BASE, codes, compileMem } from '../helpers/memory.js';

const node = <T>(ir: { nodes: unknown[] }, id: string): T => ir.nodes.find((n) => (n as { id: string }).id === id) as T;

function ok(src: string | Record<string, string>, sets: string[] = []) {
  const out = compileMem(src, { sets });
  expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(out.ir).toBeDefined();
  return out.ir!;
}

describe('values', () => {
  it('resolves size suffixes as powers of two, separators and exponents', () => {
    const ir = ok(BASE.replace('cosine(128 -> 64)', 'cosine(1k -> 1_000)').replace('cosine(64 -> 128)', 'cosine(1_000 -> 1k)').replace('context = 256 tokens', 'context = 2k tokens'));
    const s = node<IRSchedule>(ir, 'schedule.s');
    expect(s.phases[0]!.curve).toEqual({ kind: 'cosine', from: 1024, to: 1000 });
    const t = node<IRTrain>(ir, 'train.rl');
    expect(t.optimizer.lr).toBe(1e-6);
  });

  it('rejects a suffixed number that is not whole', () => {
    const out = compileMem(BASE.replace('context = 256 tokens', 'context = 1.3k tokens'));
    expect(codes(out.diagnostics)).toContain('E0106');
  });

  it('accepts 1.5k as 1536', () => {
    const ir = ok(BASE.replace('context = 256 tokens', 'context = 1.5k tokens'));
    expect(node<IRModel>(ir, 'model.m').source).toMatchObject({ kind: 'scratch', context: 1536 });
  });

  it('checks units: a quantity in the wrong unit is an error, a bare number is fine', () => {
    expect(codes(compileMem(BASE.replace('batch = 8 prompts', 'batch = 8 tokens')).diagnostics)).toContain('E0303');
    expect(codes(compileMem(BASE.replace('lr = ', 'lr = ').replace('mini_batch = 4 prompts', 'mini_batch = 4 prompts\n  lr = 1e-6 steps')).diagnostics)).toContain('E0303');
    const ir = ok(BASE.replace('batch = 8 prompts', 'batch = 8'));
    expect(node<IRTrain>(ir, 'train.rl').batch).toBe(8);
  });

  it('keeps string templates and their fields, and reads escapes', () => {
    const ir = ok(BASE.replace('prompt = "{question}"', 'prompt = "Q: {question}\\n\\{not a field}"'));
    const d = node<IRDataset>(ir, 'dataset.d');
    expect(d.prompt).toEqual({ text: 'Q: {question}\n{not a field}', fields: ['question'] });
  });

  it('reports an unknown escape and an unknown template field', () => {
    expect(codes(compileMem(BASE.replace('prompt = "{question}"', 'prompt = "\\q"')).diagnostics)).toContain('E0105');
    expect(codes(compileMem(BASE.replace('prompt = "{question}"', 'prompt = "{questoin}"')).diagnostics)).toContain('E0307');
  });

  it('reads ranges, lists, records, booleans and calls', () => {
    const ir = ok(BASE.replace('operands = 2..3', 'operands = 2..3, digits = 1..1, ops = [add, mul]').replace('group = 4 responses', 'group = 4 responses\n  clip = { low = 0.1, high = 0.3 }\n  std_scale = false'));
    const d = node<IRDataset>(ir, 'dataset.d');
    expect(d.source).toMatchObject({ kind: 'generated', task: 'arithmetic', params: { operands: { from: 2, to: 3 }, digits: { from: 1, to: 1 }, ops: ['add', 'mul'] } });
    const t = node<IRTrain>(ir, 'train.rl');
    expect(t.loss).toMatchObject({ clip_low: 0.1, clip_high: 0.3, std_scale: false });
  });

  it('merges `with` overrides into records key by key', () => {
    const ir = ok(BASE.replace('group = 4 responses', 'group = 4 responses\n  clip = { high = 0.35 }'));
    expect(node<IRTrain>(ir, 'train.rl').loss).toMatchObject({ clip_low: 0.2, clip_high: 0.35 });
  });

  it('lowers dual_clip, the dynamic-sampling metric and stop_after_nonfinite (verl clip_ratio_c, filter_groups.metric)', () => {
    const ir = ok(BASE.replace('group = 4 responses', 'group = 4 responses\n  dual_clip = off\n  dynamic_sampling = { metric = reward }\n  stop_after_nonfinite = 5'));
    const t = node<IRTrain>(ir, 'train.rl');
    expect(t.loss.clip_ratio_c).toBeNull();
    expect(t.dynamic_sampling).toEqual({ enabled: true, max_rounds: 3, metric: 'reward' });
    expect(t.stop_after_nonfinite).toBe(5);
    expect(codes(compileMem(BASE.replace('group = 4 responses', 'group = 4 responses\n  dual_clip = 1')).diagnostics).length).toBeGreaterThan(0);
  });

  it('rejects a range that runs backwards', () => {
    expect(codes(compileMem(BASE.replace('operands = 2..3', 'operands = 3..2')).diagnostics)).toContain('E0304');
  });
});

describe('declarations and references', () => {
  it('derives a stage from a stdlib preset, filling defaults visibly', () => {
    const ir = ok(BASE);
    const t = node<IRTrain>(ir, 'train.rl');
    expect(t.algorithm).toBe('grpo');
    expect(t.loss).toEqual({ agg: 'token_mean', clip_high: 0.28, clip_low: 0.2, entropy_coef: 0, kl_coef: 0, kl_estimator: 'k3', overlong_filter: false, std_scale: true, clip_ratio_c: 3 });
    expect(t.dynamic_sampling).toEqual({ enabled: true, max_rounds: 3, metric: 'acc' });
    expect(t.stop_after_nonfinite).toBe(3);
    expect(t.group).toBe(4);
    expect(t.rewards).toEqual(['reward.std/rewards.final_answer']);
    const r = node<IRReward>(ir, 'reward.std/rewards.final_answer');
    expect(r).toMatchObject({ kind: 'exact_answer', weight: 1, truncated: 'zero', params: { pattern: 'Answer:\\s*(.+)' } });
  });

  it('instantiates templates with named and default arguments', () => {
    const src = BASE.replace(/schedule s \{[\s\S]*?\n\}\n/, 'import "std/schedules"\nschedule s = schedules.siri(low = 64 tokens, high = 128 tokens, phase_steps = 4 steps, cycles = 2)\n');
    const ir = ok(src);
    const s = node<IRSchedule>(ir, 'schedule.s');
    expect(s.phases.map((p) => `${p.name}-${p.cycle}:${p.curve.from}->${p.curve.to}`)).toEqual(['compress-1:128->64', 'expand-1:64->128', 'compress-2:128->64', 'expand-2:64->128']);
  });

  it('reports missing and unknown template arguments', () => {
    const src = BASE.replace(/schedule s \{[\s\S]*?\n\}\n/, 'import "std/schedules"\nschedule s = schedules.siri(low = 64 tokens, hihg = 128 tokens, phase_steps = 4 steps)\n');
    const out = compileMem(src);
    expect(codes(out.diagnostics)).toEqual(expect.arrayContaining(['E0211']));
    const messages = out.diagnostics.map((d) => d.message);
    expect(messages).toContain('`siri` has no parameter `hihg`');
    expect(messages).toContain('missing the argument `high` of `siri`');
  });

  it('imports relative files under an alias', () => {
    const ir = ok({ 'main.siri': BASE.replace('import "std/rewards"', 'import "std/rewards"\nimport "lib/shared.siri" as shared').replace('rewards = [rewards.final_answer]', 'rewards = [shared.exact]'), 'lib/shared.siri': 'reward exact { kind = exact_answer  weight = 2.0 }\n' });
    expect(node<IRReward>(ir, 'reward.lib/shared.exact').weight).toBe(2);
  });

  it('reports undefined names with a suggestion', () => {
    const out = compileMem(BASE.replace('policy = m\n  data = d\n  rewards', 'policy = mm\n  data = d\n  rewards'));
    const d = out.diagnostics.find((x) => x.code === 'E0202')!;
    expect(d.message).toContain('`mm`');
    expect(d.help).toContain('did you mean `m`');
  });

  it('reports unknown keys and declaration kinds with a suggestion', () => {
    const out = compileMem(BASE.replace('group = 4 responses', 'gruop = 4 responses') + '\nrewrd x { kind = math_equal }\n');
    const e = out.diagnostics.find((x) => x.code === 'E0301')!;
    expect(e.help).toContain('did you mean `group`');
    expect(out.diagnostics.find((x) => x.code === 'E0201')!.help).toContain('did you mean `reward`');
  });

  it('reports duplicate names and keys', () => {
    expect(codes(compileMem(BASE + '\nmodel d { source = hf("x") }\n').diagnostics)).toContain('E0203');
    expect(codes(compileMem(BASE.replace('group = 4 responses', 'group = 4 responses\n  group = 8 responses')).diagnostics)).toContain('E0204');
  });

  it('reports a reference to the wrong kind of declaration', () => {
    expect(codes(compileMem(BASE.replace('policy = m\n  data = d\n  rewards', 'policy = d\n  data = d\n  rewards')).diagnostics)).toContain('E0205');
  });

  it('reports import cycles and missing imports', () => {
    expect(codes(compileMem({ 'main.siri': 'import "a.siri"\n', 'a.siri': 'import "b.siri"\n', 'b.siri': 'import "a.siri"\n' }, { mode: 'check' }).diagnostics)).toContain('E0207');
    expect(codes(compileMem('import "nope.siri"\n', { mode: 'check' }).diagnostics)).toContain('E0206');
  });

  it('reports a declaration defined in terms of itself', () => {
    expect(codes(compileMem(BASE + '\ntrain a = b with { steps = 1 steps }\ntrain b = a with { steps = 2 steps }\n').diagnostics)).toContain('E0212');
  });
});

describe('pipeline rules', () => {
  it('orders stages by `after` and lays them end to end', () => {
    const ir = ok(BASE);
    const warm = node<IRTrain>(ir, 'train.warm');
    const rl = node<IRTrain>(ir, 'train.rl');
    expect([warm.order, warm.start_step, warm.steps]).toEqual([0, 0, 10]);
    expect([rl.order, rl.start_step, rl.steps]).toEqual([1, 10, 16]);
    expect(ir.total_steps).toBe(26);
    expect(ir.edges).toContainEqual({ from: 'train.warm', to: 'train.rl', kind: 'after' });
  });

  it('expands the schedule step by step with exact endpoints', () => {
    const rl = node<IRTrain>(ok(BASE), 'train.rl');
    expect(rl.budget.by_step).toEqual([128, 112, 80, 64, 64, 80, 112, 128, 128, 112, 80, 64, 64, 80, 112, 128]);
    expect(rl.budget.phase_by_step).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(rl.budget.max).toBe(128);
  });

  it('names phase-end checkpoints by phase and cycle, marking SIRI-low and SIRI-high', () => {
    const rl = node<IRTrain>(ok(BASE), 'train.rl');
    expect(rl.checkpoints.map((c) => [c.step, c.name, c.siri])).toEqual([
      [4, 'compress-1-end', 'low'],
      [8, 'expand-1-end', 'high'],
      [12, 'compress-2-end', 'low'],
      [16, 'expand-2-end', 'high'],
      [16, 'rl-end', null],
    ]);
  });

  it('places eval points in global steps', () => {
    const e = node<IREval>(ok(BASE), 'eval.e');
    expect(e.points.map((p) => p.step)).toEqual([14, 18, 22, 26]);
    expect(e.data).toEqual({ dataset: 'dataset.d', split: 'eval' });
    expect(e.max_tokens).toBe(128);
  });

  it('checks batch against mini-batch, steps against the schedule, and `after` cycles', () => {
    expect(codes(compileMem(BASE.replace('mini_batch = 4 prompts', 'mini_batch = 3 prompts')).diagnostics)).toContain('E0401');
    expect(codes(compileMem(BASE.replace('group = 4 responses', 'group = 4 responses\n  steps = 20 steps')).diagnostics)).toContain('E0402');
    expect(codes(compileMem(BASE.replace('steps = 10 steps  max_tokens', 'steps = 10 steps  after = rl  max_tokens')).diagnostics)).toContain('E0403');
  });

  it('checks ranges of values', () => {
    for (const [from, to] of [
      ['group = 4 responses', 'group = 1 responses'],
      ['group = 4 responses', 'group = 4 responses\n  lr = 0'],
      ['group = 4 responses', 'group = 4 responses\n  clip = { low = -0.1 }'],
      ['steps = 4 steps  max_tokens = cosine(128 -> 64)', 'steps = 0 steps  max_tokens = cosine(128 -> 64)'],
      ['cosine(128 -> 64)', 'cosine(128 -> 0)'],
    ] as const) {
      expect(codes(compileMem(BASE.replace(from, to)).diagnostics), to).toContain('E0304');
    }
  });

  it('warns about budget jumps between phases and names that contradict curves', () => {
    const out = compileMem(BASE.replace('cosine(64 -> 128)', 'cosine(96 -> 128)').replace('phase compress { steps = 4 steps  max_tokens = cosine(128 -> 64) }', 'phase compress { steps = 4 steps  max_tokens = cosine(64 -> 128) }'));
    expect(codes(out.diagnostics)).toEqual(expect.arrayContaining(['W0001', 'W0003']));
    expect(out.ir).toBeDefined();
  });

  it('requires a missing key and says which', () => {
    const out = compileMem(BASE.replace('rewards = [rewards.final_answer]', ''));
    const d = out.diagnostics.find((x) => x.code === 'E0305')!;
    expect(d.message).toContain('`rewards`');
  });

  it('needs a pipeline to compile, but checks a library file without one', () => {
    expect(codes(compileMem('reward r { kind = math_equal }\n').diagnostics)).toContain('E0404');
    expect(compileMem('reward r { kind = math_equal }\n', { mode: 'check' }).diagnostics).toEqual([]);
  });

  it('warns about declarations nothing uses', () => {
    const out = compileMem(BASE + '\nreward unused { kind = math_equal }\n');
    expect(out.diagnostics.find((d) => d.code === 'W0002')?.message).toContain('`unused`');
  });

  it('rejects a budget longer than the model context', () => {
    expect(codes(compileMem(BASE.replace('context = 256 tokens', 'context = 100 tokens')).diagnostics)).toContain('E0408');
  });
});

describe('--set overrides', () => {
  it('applies overrides as source and records them', () => {
    const ir = ok(BASE, ['rl.lr=2e-6', 'rl.clip.high=0.3', 'pipeline.seed=9']);
    const t = node<IRTrain>(ir, 'train.rl');
    expect(t.optimizer.lr).toBe(2e-6);
    expect(t.loss.clip_high).toBe(0.3);
    expect(t.loss.clip_low).toBe(0.2);
    expect(ir.pipeline.seed).toBe(9);
    expect(ir.overrides).toEqual([
      { path: 'rl.lr', value: '2e-6' },
      { path: 'rl.clip.high', value: '0.3' },
      { path: 'pipeline.seed', value: '9' },
    ]);
  });

  it('checks overrides like source', () => {
    expect(codes(compileMem(BASE, { sets: ['rl.lrr=1'] }).diagnostics)).toContain('E0301');
    expect(codes(compileMem(BASE, { sets: ['nope.x=1'] }).diagnostics)).toContain('E0407');
    expect(codes(compileMem(BASE, { sets: ['rl.lr="fast"'] }).diagnostics)).toContain('E0302');
    expect(codes(compileMem(BASE, { sets: ['rl'] }).diagnostics)).toContain('E0407');
  });
});
