// Checkpoint names are unique per run: two stages that share a schedule would otherwise write the
// same phase-end folders, the later overwriting the earlier. `plan` shows them as they are on disk.
import { describe, expect, it } from 'vitest';
import type { IR, IRTrain } from '../../src/ir/graph.js';
import { renderPlan } from '../../src/cli/plan.js';
import { BASE, codes, compileMem } from '../helpers/memory.js';

// A second RL stage on the same schedule, after the first.
const TWO = `${BASE}
train rl2 = presets.dapo with {
  after = rl
  policy = m
  data = d
  rewards = [rewards.final_answer]
  max_tokens = s
  group = 4 responses
  batch = 8 prompts
  mini_batch = 4 prompts
  checkpoint = { every = 3 steps, at_phase_end = true }
}
`;

const stage = (ir: IR, id: string): IRTrain => ir.nodes.find((n): n is IRTrain => n.id === id)!;

describe('checkpoint names', () => {
  it('gives names two stages share the stage in front, keeps unique ones, and keeps SIRI-low/high', () => {
    const out = compileMem(TWO);
    expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const names = (id: string) => stage(out.ir!, id).checkpoints.map((c) => [c.name, c.siri]);
    expect(names('train.rl')).toEqual([
      ['rl-compress-1-end', 'low'],
      ['rl-expand-1-end', 'high'],
      ['rl-compress-2-end', 'low'],
      ['rl-expand-2-end', 'high'],
      ['rl-end', null],
    ]);
    expect(names('train.rl2')).toContainEqual(['rl2-compress-1-end', 'low']);
    expect(names('train.warm')).toEqual([['warm-end', null]]);
    const all = out.ir!.nodes.flatMap((n) => (n.type === 'train' ? n.checkpoints.map((c) => c.name) : []));
    expect(new Set(all).size).toBe(all.length);
  });

  it('labels SIRI-low/high only on a schedule that alternates, not on a one-way decay', () => {
    const decay = BASE.replace(/schedule s \{[\s\S]*?\n\}\n/, 'schedule s {\n  phase decay { steps = 8 steps  max_tokens = linear(128 -> 64) }\n}\n');
    expect(decay).not.toBe(BASE);
    const out = compileMem(decay);
    expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(stage(out.ir!, 'train.rl').checkpoints.map((c) => [c.name, c.siri])).toEqual([
      ['decay-1-end', null],
      ['rl-end', null],
    ]);
    expect(renderPlan(out.ir!, 80)).not.toContain('SIRI-');
  });

  it('leaves the names of a single stage as they were', () => {
    expect(stage(compileMem(BASE).ir!, 'train.rl').checkpoints.map((c) => c.name)).toEqual(['compress-1-end', 'expand-1-end', 'compress-2-end', 'expand-2-end', 'rl-end']);
  });

  it('plan shows every name as it will be on disk, periodic ones too', () => {
    const ir = compileMem(TWO).ir!;
    const plan = renderPlan(ir, 80);
    for (const t of ir.nodes) if (t.type === 'train') for (const c of t.checkpoints.filter((c) => c.reason !== 'every')) expect(plan).toContain(c.name);
    expect(plan).toContain('rl2-compress-1-end (SIRI-low)');
    expect(plan).not.toMatch(/(^|[ ,])compress-1-end/m);
    expect(plan).toMatch(/\+ 4 periodic \(every 3 steps: rl2-step-3 … rl2-step-15\)/);
  });

  it('rejects two stages whose checkpoint folders differ only in case', () => {
    const out = compileMem(BASE + '\ntrain RL = presets.sft_warmup with { after = rl  policy = m  data = d  steps = 2 steps  max_tokens = 128 tokens }\ntrain rl_b = presets.sft_warmup with { after = RL  policy = m  data = d  steps = 2 steps  max_tokens = 128 tokens }\n');
    expect(codes(out.diagnostics)).toContain('E0416');
    const d = out.diagnostics.find((x) => x.code === 'E0416')!;
    expect(d.message).toMatch(/`RL-end` of `RL` would be the same folder as the checkpoint `rl-end` of `rl`/);
    expect(d.span?.start.line).toBeGreaterThan(1);
  });
});
