// Whole-pipeline rules, diagnostics inherited from std/ templates and presets, and cascades: the
// parts of `check` the golden fixtures show, pinned down on variations of one pipeline.
import { describe, expect, it } from 'vitest';
import type { IRTrain } from '../../src/ir/graph.js';
import { BASE, codes, compileMem } from '../helpers/memory.js';

// BASE's warm-up stage is shorter than its preset's warm-up (W0007): lengthen it here.
const B = BASE.replace('steps = 10 steps  max_tokens = 128 tokens', 'steps = 24 steps  max_tokens = 128 tokens');
const train = (ir: { nodes: unknown[] }, id: string): IRTrain => ir.nodes.find((n) => (n as { id: string }).id === id) as IRTrain;

describe('what passes its key but not the pipeline', () => {
  it.each([
    ['lr = 5', 'E0409'],
    ['lr = 0.05', 'W0005'],
    ['top_k = 1', 'E0414'],
    ['warmup = 16 steps', 'W0007'],
    ['checkpoint = { every = 100 steps }', 'W0004'],
  ])('%s in the RL stage: %s', (line, code) => {
    const out = compileMem(B.replace('  group = 4 responses', `  group = 4 responses\n  ${line}`), { mode: 'check' });
    expect(codes(out.diagnostics)).toEqual([code]);
    // On the user's value, never inside std/.
    expect(out.diagnostics[0]!.span!.file).toBe('main.siri');
  });

  it('a reward listed twice is an error on the second one', () => {
    const out = compileMem(B.replace('rewards = [rewards.final_answer]', 'rewards = [rewards.final_answer, rewards.final_answer]'), { mode: 'check' });
    expect(codes(out.diagnostics)).toEqual(['E0411']);
    expect(out.diagnostics[0]!.related![0]!.span.start.column).toBeLessThan(out.diagnostics[0]!.span!.start.column);
  });

  it('an overlong buffer as large as the smallest budget of the schedule is an error on the buffer', () => {
    const src = B.replace('rewards = [rewards.final_answer]', 'rewards = [rewards.final_answer, long]') + '\nreward long = rewards.soft_overlong(buffer = 64 tokens)\n';
    const out = compileMem(src, { mode: 'check' });
    expect(codes(out.diagnostics)).toEqual(['E0413']);
    expect(compileMem(src.replace('buffer = 64 tokens', 'buffer = 16 tokens'), { mode: 'check' }).diagnostics).toEqual([]);
  });

  it('an eval max_tokens at the model context is an error, below it is not', () => {
    expect(codes(compileMem(B.replace('every = 4 steps', 'every = 4 steps  max_tokens = 256 tokens'), { mode: 'check' }).diagnostics)).toEqual(['E0408']);
    expect(compileMem(B.replace('every = 4 steps', 'every = 4 steps  max_tokens = 200 tokens'), { mode: 'check' }).diagnostics).toEqual([]);
  });

  it('holdout on a generated task has no effect; min_lr is a fraction of lr', () => {
    expect(codes(compileMem(B.replace('response = "{solution}"', 'response = "{solution}"\n  holdout = 10 rows'), { mode: 'check' }).diagnostics)).toEqual(['W0004']);
    expect(codes(compileMem(B.replace('  group = 4 responses', '  group = 4 responses\n  min_lr = 10'), { mode: 'check' }).diagnostics)).toEqual(['E0304']);
  });
});

describe('roles and SIRI labels', () => {
  it('a phase named compress whose budget rises warns and gets no SIRI label', () => {
    const out = compileMem(B.replace('phase compress { steps = 4 steps  max_tokens = cosine(128 -> 64) }', 'phase compress { steps = 4 steps  max_tokens = cosine(64 -> 128) }'));
    expect(codes(out.diagnostics)).toContain('W0003');
    const cks = train(out.ir!, 'train.rl').checkpoints.filter((c) => c.name.startsWith('compress-'));
    expect(cks.length).toBeGreaterThan(0);
    for (const c of cks) expect(c.siri).toBeNull();
  });

  it('a role the curve contradicts is an error on the role', () => {
    const out = compileMem(B.replace('max_tokens = cosine(128 -> 64) }', 'max_tokens = cosine(64 -> 128)  role = compress }'), { mode: 'check' });
    expect(codes(out.diagnostics)).toEqual(['E0412']);
  });

  it('schedules.siri with low above high: one error at the call, a note inside std/schedules.siri', () => {
    const src = B.replace('import "std/rewards"', 'import "std/rewards"\nimport "std/schedules"').replace(/schedule s \{[^]*?\n\}\n/, 'schedule s = schedules.siri(low = 128 tokens, high = 64 tokens, phase_steps = 4 steps)\n');
    const out = compileMem(src, { mode: 'check' });
    expect(codes(out.diagnostics)).toEqual(['E0412']);
    const d = out.diagnostics[0]!;
    const line = src.split('\n').findIndex((l) => l.startsWith('schedule s = ')) + 1;
    expect(d.span).toMatchObject({ file: 'main.siri', start: { line, column: 14 } });
    expect(d.related!.map((r) => r.span.file)).toEqual(['std/schedules.siri', 'main.siri', 'main.siri']);
  });

  it('a preset setting that breaks a rule is reported at the line using the preset', () => {
    const out = compileMem(B.replace('steps = 24 steps  max_tokens = 128 tokens', 'steps = 5 steps  max_tokens = 128 tokens'), { mode: 'check' });
    expect(codes(out.diagnostics)).toEqual(['W0007']);
    expect(out.diagnostics[0]!.span!.file).toBe('main.siri');
    expect(out.diagnostics[0]!.related![0]!.span.file).toBe('std/presets.siri');
  });
});

describe('only the real cause', () => {
  it('an unknown preset is one error, not also "missing `algorithm`"', () => {
    expect(codes(compileMem(B.replace('train rl = presets.dapo with', 'train rl = presets.dapoo with'), { mode: 'check' }).diagnostics)).toEqual(['E0202']);
  });

  it('an unknown schedule template is one error', () => {
    const src = B.replace('import "std/rewards"', 'import "std/rewards"\nimport "std/schedules"').replace(/schedule s \{[^]*?\n\}\n/, 'schedule s = schedules.sirii(low = 64 tokens, high = 128 tokens, phase_steps = 4 steps)\n');
    expect(codes(compileMem(src, { mode: 'check' }).diagnostics)).toEqual(['E0202']);
  });

  it('messages name what the user wrote: `cosine(...)`, not an internal parameter; `repeat x` is an unknown name', () => {
    const out = compileMem(B.replace('cosine(128 -> 64)', 'cosine(128)'), { mode: 'check' });
    expect(codes(out.diagnostics)).toEqual(['E0302']);
    expect(out.diagnostics[0]!.message).toContain('`cosine(...)`');
    expect(out.diagnostics[0]!.message).not.toContain('between');
    const rep = compileMem(B.replace('repeat 2 {', 'repeat twice {'), { mode: 'check' });
    expect(codes(rep.diagnostics)).toEqual(['E0202']);
    expect(rep.diagnostics[0]!.message).toBe('cannot find `twice`');
  });
});
