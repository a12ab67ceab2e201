// grpoStep end to end on the cpu backend with a tiny scratch model: dynamic sampling (which groups
// are trained on, refills, a batch left short, metrics over every round), a step with no update,
// and a NaN gradient (skipped with weights and optimizer state untouched, then the run stopped).
// A stand-in reward decides each group by its example's `answer`:
//   right: every response right (1);  wrong: every response wrong (0);
//   long:  every response right, minus a soft length-style penalty that differs within the group;
//   mixed: right and wrong alternate;  nan: mixed answers but a NaN reward (a NaN gradient).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import type { IRTrain } from '../../../src/ir/graph.js';
import { ExampleStream } from '../../../src/runtime/data/stream.js';
import { Transformer } from '../../../src/runtime/model/transformer.js';
import { AdamW } from '../../../src/runtime/optim/adamw.js';
import { NonfiniteGuard } from '../../../src/runtime/optim/nonfinite.js';
import { grpoStep, rewardInputs, rollout, type GrpoContext } from '../../../src/runtime/rl/grpo.js';
import { Rng } from '../../../src/runtime/rng.js';
import { CharTokenizer } from '../../../src/runtime/tokenizer/chars.js';
import { RunError, type RewardInput, type RewardSet, type ScoredBatch } from '../../../src/runtime/types.js';
import type { IRReward } from '../../../src/ir/graph.js';
import { buildRewards } from '../../../src/runtime/rewards/index.js';
import { BASE, codes, compileMem } from '../../helpers/memory.js';
import { tinyConfig } from '../../helpers/model.js';

const G = 4;
const tok = new CharTokenizer('abcdefgh0123456789');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The tiny pipeline's GRPO stage with these settings. */
function stage(over: Partial<IRTrain> = {}): IRTrain {
  const r = compileFile('test/fixtures/runtime/tiny.siri', { mode: 'compile', sets: [] });
  const base = r.ir!.nodes.find((n) => n.id === 'train.rl') as IRTrain;
  return { ...base, group: G, batch: 2, mini_batch: 2, epochs: 1, ...over };
}

const standIn: RewardSet = {
  async score(inputs: RewardInput[]): Promise<ScoredBatch> {
    const kind = (x: RewardInput): string => x.answer!;
    const correct = inputs.map((x, i) => kind(x) === 'right' || kind(x) === 'long' || ((kind(x) === 'mixed' || kind(x) === 'nan') && i % 2 === 0));
    const total = inputs.map((x, i) => (kind(x) === 'nan' ? NaN : kind(x) === 'long' ? 1 - 0.01 * (i % G) : correct[i] ? 1 : 0));
    return { total, parts: { stand_in: total }, correct, errors: [] };
  },
};

function context(kinds: string[], st: IRTrain, stopAfter = 3): GrpoContext & { dispose(): void } {
  const model = new Transformer(tinyConfig({ vocab_size: tok.vocabSize, max_position_embeddings: 48 }), undefined, 7);
  const optimizer = new AdamW(model.params, { weightDecay: 0.01 });
  const rows = kinds.map((k, i) => ({ prompt: 'abc'.slice(0, 1 + (i % 3)), answer: k, origin: `test#${i}` }));
  const stream = new ExampleStream(rows, { seed: 1, name: 'test', shuffle: false });
  return { model, tokenizer: tok, stage: st, stream, rewards: standIn, optimizer, nonfinite: new NonfiniteGuard(stopAfter, st.name), dispose: () => (optimizer.dispose(), model.dispose()) };
}

const weights = async (ctx: GrpoContext): Promise<Record<string, Float32Array>> => Object.fromEntries(Object.entries(await ctx.model.exportWeights()).map(([k, t]) => [k, t.data]));

const on = (metric: 'acc' | 'reward', max_rounds: number) => ({ dynamic_sampling: { enabled: true, max_rounds, metric } });

describe('grpoStep: dynamic sampling', () => {
  it('filters on accuracy by default: all-right, all-wrong and right-but-long groups are dropped, and a step with none left makes no update', async () => {
    const st = stage(on('acc', 1));
    const ctx = context(['long', 'right', 'wrong', 'long'], st);
    const before = await weights(ctx);
    const r = await grpoStep(ctx, 8, 1e-2, new Rng(1, 'a'));
    expect(r.groupsKept).toBe(0);
    expect(r.rounds).toBe(2);
    expect(r.groupsShort).toBe(2);
    expect(r.noUpdate).toBe('all groups had equal accuracy');
    expect([r.loss, r.entropy, r.gradNorm, r.clipFrac, r.kl]).toEqual([null, null, null, null, null]);
    expect(await weights(ctx)).toEqual(before);
    expect(ctx.optimizer.stepCount).toBe(0);
    ctx.dispose();
  });

  it('with metric = reward keeps the right-but-long groups (their totals differ)', async () => {
    const ctx = context(['long', 'right', 'wrong', 'long'], stage(on('reward', 1)));
    const r = await grpoStep(ctx, 8, 1e-2, new Rng(1, 'a'));
    expect(r.groupsKept).toBe(2);
    expect(r.rounds).toBe(2);
    expect(r.noUpdate).toBeNull();
    expect(r.loss).not.toBeNull();
    ctx.dispose();
  });

  it('samples full rounds until the batch is full, trains on the first kept groups, and its metrics cover every round', async () => {
    const ctx = context(['long', 'right', 'wrong', 'mixed', 'mixed', 'mixed'], stage(on('acc', 3)));
    const r = await grpoStep(ctx, 8, 1e-2, new Rng(1, 'a'));
    expect(r.rounds).toBe(3);
    expect(r.groupsKept).toBe(2);
    expect(r.groupsShort).toBe(0);
    // Three rounds of 2 prompts × G responses, all reported.
    expect(r.rollouts.length).toBe(3 * 2 * G);
    expect(r.scores.total.length).toBe(3 * 2 * G);
    expect(r.rollouts.map((x) => x.example.answer)).toEqual(['long', 'right', 'wrong', 'mixed', 'mixed', 'mixed'].flatMap((k) => new Array<string>(G).fill(k)));
    expect(r.generated).toBe(r.rollouts.reduce((n, x) => n + x.response.length, 0));
    expect(r.loss).not.toBeNull();
    expect(Number.isFinite(r.entropy)).toBe(true);
    ctx.dispose();
  });

  it('trains on a partial batch when the rounds run out, and says how short it is', async () => {
    const ctx = context(['right', 'mixed', 'wrong', 'wrong'], stage(on('acc', 1)));
    const r = await grpoStep(ctx, 8, 1e-2, new Rng(1, 'a'));
    expect([r.rounds, r.groupsKept, r.groupsShort]).toEqual([2, 1, 1]);
    expect(r.noUpdate).toBeNull();
    expect(ctx.optimizer.stepCount).toBe(1);
    ctx.dispose();
  });
});

describe('grpoStep: a NaN gradient', () => {
  it('is skipped with weights and optimizer state bit-identical, counted, and stops the run after stop_after_nonfinite in a row', async () => {
    const st = stage({ dynamic_sampling: { enabled: false, max_rounds: 0, metric: 'acc' } });
    const ctx = context(['mixed', 'mixed', 'nan', 'nan', 'nan', 'nan'], st, 2);
    // A good step first, so that the optimizer has moments to keep.
    const good = await grpoStep(ctx, 8, 1e-2, new Rng(1, 'a'));
    expect(good.skipped).toBe(0);
    const w = await weights(ctx);
    const opt = await ctx.optimizer.exportState();
    const bad = await grpoStep(ctx, 8, 1e-2, new Rng(1, 'b'));
    expect(bad.skipped).toBe(1);
    expect(bad.noUpdate).toMatch(/NaN or infinite gradient \(1 skipped\)/);
    expect([bad.loss, bad.gradNorm, bad.entropy]).toEqual([null, null, null]);
    expect(await weights(ctx)).toEqual(w);
    expect(await ctx.optimizer.exportState()).toEqual(opt);
    expect(ctx.optimizer.stepCount).toBe(1);
    const err = await grpoStep(ctx, 8, 1e-2, new Rng(1, 'c')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as RunError).code).toBe('R0401');
    expect((err as RunError).message).toMatch(/2 updates in a row had a NaN or infinite gradient/);
    expect(await weights(ctx)).toEqual(w);
    ctx.dispose();
  });

  it('counts in a row only: a finite update in between starts the count again', () => {
    const g = new NonfiniteGuard(2, 'rl');
    expect(g.admit(NaN)).toBe(false);
    expect(g.admit(1.5)).toBe(true);
    expect(g.admit(Infinity)).toBe(false);
    expect(() => g.admit(NaN)).toThrow(RunError);
  });
});

describe('rollout: the response budget is per row', () => {
  it('a long prompt does not cut a short one; each row is truncated at, and rewarded with, its own budget', async () => {
    const model = new Transformer(tinyConfig({ vocab_size: tok.vocabSize, max_position_embeddings: 48 }), undefined, 7);
    // Prompts of 2 and 41 tokens (BOS + text); context 48, budget 20: the long one has room for 7.
    const rows = [
      { prompt: 'a', answer: 'x', origin: 't#0' },
      { prompt: 'abcdefgh01'.repeat(4), answer: 'x', origin: 't#1' },
    ];
    const tokNoEos = Object.assign(Object.create(tok) as CharTokenizer, { eos: -1 }); // never ends: every row runs to its budget
    const rs = await rollout(model, tokNoEos, rows, 1, 20, { temperature: 1, top_p: 1, top_k: 0 }, new Rng(1, 'r'));
    expect(rs.map((r) => r.prompt.length)).toEqual([2, 41]);
    expect(rs.map((r) => r.response.length)).toEqual([20, 7]);
    expect(rs.map((r) => r.budget)).toEqual([20, 7]);
    expect(rs.map((r) => r.truncated)).toEqual([true, true]);
    expect(rewardInputs(rs).map((x) => x.budget)).toEqual([20, 7]);
    model.dispose();
  });
});

describe('length_penalty with its default target', () => {
  it('penalises the lengths the runtime produces (a target at the budget never would: no response is longer)', async () => {
    const out = compileMem(BASE.replace('rewards = [rewards.final_answer]', 'rewards = [rewards.final_answer, brevity]') + '\nreward brevity { kind = length_penalty }\n');
    const node = out.ir!.nodes.find((n) => n.type === 'reward' && n.name === 'brevity') as IRReward;
    const set = await buildRewards([node], { baseDir: '.' });
    const model = new Transformer(tinyConfig({ vocab_size: tok.vocabSize, max_position_embeddings: 48 }), undefined, 7);
    const rows = [0, 1, 2, 3].map((i) => ({ prompt: 'ab', answer: 'x', origin: `t#${i}` }));
    const rs = await rollout(model, tok, rows, 2, 12, { temperature: 1, top_p: 1, top_k: 0 }, new Rng(1, 'len'));
    expect(rs.every((r) => r.response.length <= r.budget)).toBe(true);
    const scored = await set.score(rewardInputs(rs));
    scored.total.forEach((t, i) => expect(t).toBeCloseTo(-0.001 * rs[i]!.response.length, 12));
    expect(scored.total.some((t) => t < 0)).toBe(true);
    model.dispose();
  });

  it('`target = budget` is no longer accepted (it could never bind)', () => {
    const src = (target: string): string => BASE.replace('rewards = [rewards.final_answer]', 'rewards = [rewards.final_answer, brevity]') + `\nreward brevity { kind = length_penalty  target = ${target} }\n`;
    const errors = (target: string): string[] => codes(compileMem(src(target)).diagnostics.filter((d) => d.severity === 'error'));
    expect(errors('200 tokens')).toEqual([]);
    expect(errors('budget')).toEqual(['E0302']);
  });
});

describe('a run whose dynamic sampling cannot fill the batch', () => {
  it('warns, writes groups_short and no_update in the step row, and null rather than 0 for the update', async () => {
    const src = `
import "std/rewards"
import "std/tasks"
pipeline p { seed = 3  backend = cpu }
model m { source = scratch(layers = 1, d_model = 16, heads = 2, context = 48 tokens)  tokenizer = chars }
dataset d = tasks.arithmetic(operands = 2..2, digits = 1..1, train_size = 16 rows, eval_size = 2 rows)
train rl {
  algorithm = grpo  policy = m  data = d  rewards = [rewards.final_answer]
  max_tokens = 6 tokens  steps = 1 steps  batch = 2 prompts  group = 2 responses
  dynamic_sampling = { max_rounds = 1 }
  checkpoint = { at_end = false, at_phase_end = false }
}
`;
    const { execute } = await import('../../../src/runtime/executor/index.js');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const compiled = compileMem(src);
    expect(codes(compiled.diagnostics.filter((d) => d.severity === 'error'))).toEqual([]);
    const ir = compiled.ir!;
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-ds-'));
    const events: import('../../../src/runtime/types.js').RunEvent[] = [];
    try {
      await execute({ ir, baseDir: '.', outDir, sink: (e) => events.push(e) });
      // An untrained model answers nothing right in 6 tokens: every group is all wrong.
      const row = events.find((e) => e.type === 'step')!.metrics as import('../../../src/runtime/types.js').StepMetrics;
      expect(row).toMatchObject({ groups_kept: 0, groups_short: 2, sampling_rounds: 2, no_update: 'all groups had equal accuracy', loss: null, entropy: null, grad_norm: null, updates_skipped: 0 });
      const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
      expect(warnings, JSON.stringify(warnings)).toContain('step 1 of `rl`: dynamic sampling kept 0 of 2 groups after 2 rounds (the others had equal accuracy); no update (raise `max_rounds` to fill the batch)');
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });
});

describe('sftStep: a NaN gradient', () => {
  it('is skipped with weights and optimizer state bit-identical, then stops the run after stop_after_nonfinite in a row', async () => {
    const { sftStep } = await import('../../../src/runtime/sft/sft.js');
    const r = compileFile('test/fixtures/runtime/tiny.siri', { mode: 'compile', sets: [] });
    const st = { ...(r.ir!.nodes.find((n) => n.id === 'train.warmup') as IRTrain), batch: 2 };
    const model = new Transformer(tinyConfig({ vocab_size: tok.vocabSize, max_position_embeddings: 48 }), undefined, 7);
    // A stand-in NaN gradient: one NaN in the final norm's gain makes every logit, and so every gradient, NaN.
    const gain = [...model.params.entries()].find(([k]) => k === 'model.norm.weight')![1];
    gain.assign(tf.tidy(() => tf.fill(gain.shape, NaN)));
    const optimizer = new AdamW(model.params, { weightDecay: 0.01 });
    const rows = [0, 1].map((i) => ({ prompt: 'ab', response: 'c1', answer: '1', origin: `t#${i}` }));
    const ctx = { model, tokenizer: tok, stage: st, stream: new ExampleStream(rows, { seed: 1, name: 's', shuffle: false }), optimizer, nonfinite: new NonfiniteGuard(2, st.name) };
    const w = await weights(ctx as unknown as GrpoContext);
    const opt = await optimizer.exportState();
    const first = await sftStep(ctx, 1e-2);
    expect(first).toMatchObject({ skipped: 1, loss: null, gradNorm: null });
    expect(await weights(ctx as unknown as GrpoContext)).toEqual(w);
    expect(await optimizer.exportState()).toEqual(opt);
    expect(optimizer.stepCount).toBe(0);
    const err = await sftStep(ctx, 1e-2).catch((e: unknown) => e);
    expect((err as RunError).code).toBe('R0401');
    optimizer.dispose();
    model.dispose();
  });
});
