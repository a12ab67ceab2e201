// One GRPO step with DAPO's options, top to bottom as in the algorithm box:
// sample G responses per prompt under the step's budget → score → group advantages →
// K epochs of mini-batch updates with the clipped surrogate on per-token ratios.
import * as tf from '@tensorflow/tfjs';
import type { IRTrain } from '../../ir/graph.js';
import type { ExampleStream } from '../data/dataset.js';
import type { Transformer } from '../model/transformer.js';
import { buildMask } from '../model/transformer.js';
import { AdamW, clipByGlobalNorm } from '../optim/adamw.js';
import { Rng } from '../rng.js';
import { encodePrompt } from '../tokenizer/chat.js';
import type { Example, RewardInput, RewardSet, ScoredBatch, Tokenizer } from '../types.js';
import { allEqualGroups, groupAdvantages } from './advantage.js';
import { policyLoss, targetLogProbs, tokenLogProbs } from './loss.js';
import { sample, type Samples } from './sampler.js';
import { bucketLength } from '../optim/gradient-step.js';
import { useStepGraphs } from '../webgpu-graph.js';
import type { UpdateGraphs } from './update-graphs.js';

export interface GrpoContext {
  model: Transformer;
  /** A frozen copy for the KL term, when the stage has one. */
  reference?: Transformer;
  tokenizer: Tokenizer;
  stage: IRTrain;
  stream: ExampleStream;
  rewards: RewardSet;
  optimizer: AdamW;
  /** The stage's update graphs (webgpu: update-graphs.ts); without them updates go through tfjs. */
  graphs?: UpdateGraphs;
}

export interface Rollout {
  example: Example;
  prompt: number[];
  response: number[];
  logps: number[];
  truncated: boolean;
  text: string;
}

export interface GrpoStepResult {
  rollouts: Rollout[];
  scores: ScoredBatch;
  /** Groups that entered the update (after dynamic sampling). */
  groupsKept: number;
  loss: number;
  clipFrac: number;
  entropy: number;
  kl: number;
  gradNorm: number;
  generated: number;
}

// Prompts are encoded in one place (the chat template, or BOS + text): re-exported for sft.
export { encodePrompt };

/** Sample G responses for each example and decode them. */
export async function rollout(model: Transformer, tok: Tokenizer, examples: Example[], G: number, budget: number, s: { temperature: number; top_p: number; top_k: number }, rng: Rng, greedy = false): Promise<Rollout[]> {
  const prompts: number[][] = [];
  const owners: Example[] = [];
  for (const ex of examples) {
    const p = encodePrompt(tok, ex.prompt);
    for (let g = 0; g < G; g++) {
      prompts.push(p);
      owners.push(ex);
    }
  }
  const out: Samples = await sample(model, prompts, { maxNew: budget, eos: tok.eos, pad: tok.pad, greedy, temperature: s.temperature, topP: s.top_p, topK: s.top_k, rng });
  return prompts.map((p, i) => ({ example: owners[i]!, prompt: p, response: out.tokens[i]!, logps: out.logps[i]!, truncated: out.truncated[i]!, text: tok.decode(out.tokens[i]!) }));
}

export function rewardInputs(rs: Rollout[], budget: number): RewardInput[] {
  return rs.map((r) => {
    const input: RewardInput = { prompt: r.example.prompt, response: r.text, truncated: r.truncated, length: r.response.length, budget };
    if (r.example.answer !== undefined) input.answer = r.example.answer;
    return input;
  });
}

export async function grpoStep(ctx: GrpoContext, budget: number, lr: number, rng: Rng): Promise<GrpoStepResult> {
  const st = ctx.stage;
  const G = st.group;
  // 1. Sample and score; with dynamic sampling, drop groups whose rewards are all equal (their
  //    advantages are zero) and sample more prompts, for a bounded number of extra rounds.
  let rollouts = await rollout(ctx.model, ctx.tokenizer, ctx.stream.next(st.batch), G, budget, st.sampling, rng);
  let scores = await ctx.rewards.score(rewardInputs(rollouts, budget));
  const firstRollouts = rollouts;
  const firstScores = scores;
  let keep = groupsToKeep(scores.total, G, st.dynamic_sampling.enabled);
  for (let round = 0; st.dynamic_sampling.enabled && round < st.dynamic_sampling.max_rounds && countKept(keep) < st.batch; round++) {
    const more = await rollout(ctx.model, ctx.tokenizer, ctx.stream.next(st.batch - countKept(keep)), G, budget, st.sampling, rng);
    const moreScores = await ctx.rewards.score(rewardInputs(more, budget));
    rollouts = [...rollouts, ...more];
    scores = concatScores(scores, moreScores);
    keep = [...keep, ...groupsToKeep(moreScores.total, G, true)];
  }
  // Keep at most `batch` groups.
  let kept = 0;
  keep = keep.map((k) => (k && kept < st.batch ? (kept++, true) : false));

  // 2. Group advantages, computed per group on the kept groups.
  const idx: number[] = [];
  keep.forEach((k, g) => {
    if (k) for (let i = 0; i < G; i++) idx.push(g * G + i);
  });
  const generated = rollouts.reduce((n, r) => n + r.response.length, 0);
  const result: GrpoStepResult = { rollouts: firstRollouts, scores: firstScores, groupsKept: kept, loss: 0, clipFrac: 0, entropy: 0, kl: 0, gradNorm: 0, generated };
  if (idx.length === 0) return result;
  const adv = groupAdvantages(idx.map((i) => scores.total[i]!), G, st.loss.std_scale);
  const batch = idx.map((i) => rollouts[i]!);

  // 3. K epochs over mini-batches of whole groups. With update graphs, every update of the step has
  //    one length, so that they share a shape.
  const graphs = ctx.graphs && useStepGraphs() ? ctx.graphs : undefined;
  const padTo = graphs ? bucketLength(Math.max(...batch.map((r) => r.prompt.length + r.response.length - 1)), ctx.model.config.max_position_embeddings) : 0;
  const mb = st.mini_batch * G;
  let n = 0;
  for (let epoch = 0; epoch < st.epochs; epoch++) {
    const groups = rng.shuffle(Array.from({ length: batch.length / G }, (_, g) => g));
    for (let start = 0; start < groups.length * G; start += mb) {
      const members = groups.slice(start / G, (start + mb) / G).flatMap((g) => Array.from({ length: G }, (_, i) => g * G + i));
      const m = await policyUpdate(ctx, members.map((i) => batch[i]!), members.map((i) => adv[i]!), lr, graphs, padTo);
      result.loss += m.loss;
      result.clipFrac += m.clipFrac;
      result.entropy += m.entropy;
      result.kl += m.kl;
      result.gradNorm += m.gradNorm;
      n++;
    }
  }
  for (const k of ['loss', 'clipFrac', 'entropy', 'kl', 'gradNorm'] as const) result[k] /= n;
  return result;
}

function groupsToKeep(totals: number[], G: number, filter: boolean): boolean[] {
  const equal = allEqualGroups(totals, G);
  return equal.map((e) => !filter || !e);
}
const countKept = (keep: boolean[]): number => keep.filter(Boolean).length;

function concatScores(a: ScoredBatch, b: ScoredBatch): ScoredBatch {
  const parts: Record<string, number[]> = {};
  for (const k of Object.keys(a.parts)) parts[k] = [...a.parts[k]!, ...(b.parts[k] ?? [])];
  return {
    total: [...a.total, ...b.total],
    parts,
    correct: [...a.correct, ...b.correct],
    errors: [...a.errors, ...b.errors.map((e) => ({ ...e, index: e.index + a.total.length }))],
  };
}

/**
 * Teacher-forced batch over prompt + response: inputs are the sequence without its last token,
 * targets the sequence shifted by one; the loss mask covers response tokens only.
 */
export function packSequences(rs: { prompt: number[]; response: number[] }[], pad: number, padTo = 0): { inputs: Int32Array; targets: Int32Array; mask: Float32Array; positions: Int32Array; N: number; L: number; respStart: number[] } {
  const N = rs.length;
  const L = Math.max(padTo, ...rs.map((r) => r.prompt.length + r.response.length - 1));
  const inputs = new Int32Array(N * L).fill(pad);
  const targets = new Int32Array(N * L).fill(pad);
  const mask = new Float32Array(N * L);
  const positions = new Int32Array(N * L);
  const respStart: number[] = [];
  rs.forEach((r, i) => {
    const seq = [...r.prompt, ...r.response];
    for (let t = 0; t < L; t++) positions[i * L + t] = t;
    for (let t = 0; t < seq.length - 1; t++) {
      inputs[i * L + t] = seq[t]!;
      targets[i * L + t] = seq[t + 1]!;
      if (t + 1 >= r.prompt.length) mask[i * L + t] = 1;
    }
    respStart.push(r.prompt.length - 1);
  });
  return { inputs, targets, mask, positions, N, L, respStart };
}

/** Right-padded rows need only the causal mask, the same for every row: pads sit after every real token. */
export function causalMask(_N: number, L: number): tf.Tensor4D {
  return buildMask([new Uint8Array(L).fill(1)], 0, L);
}

/**
 * One policy update on a mini-batch: through the update graphs when given (their sequences padded to
 * padTo), else through tfjs. Exported for tests.
 */
export async function policyUpdate(ctx: GrpoContext, rs: Rollout[], adv: number[], lr: number, graphs?: UpdateGraphs, padTo = 0): Promise<{ loss: number; clipFrac: number; entropy: number; kl: number; gradNorm: number }> {
  const st = ctx.stage;
  const pk = packSequences(rs, ctx.tokenizer.pad, padTo);
  const { N, L } = pk;
  const mask = pk.mask.slice();
  const old = new Float32Array(N * L);
  rs.forEach((r, i) => {
    // Sampling log-probs are π_old; they sit at the positions that predict each response token.
    r.logps.forEach((lp, j) => (old[i * L + pk.respStart[i]! + j] = lp));
    if (st.loss.overlong_filter && r.truncated) for (let t = 0; t < L; t++) mask[i * L + t] = 0;
  });
  const T = st.sampling.temperature;
  const ref = ctx.reference && st.loss.kl_coef > 0 ? referenceLogps(ctx.reference, pk, T) : undefined;
  if (graphs) {
    const refValues = ref ? ((await ref.data()) as Float32Array) : undefined;
    ref?.dispose();
    return graphs.update({ ...pk, old, mask, adv: Float32Array.from(adv), ...(refValues ? { ref: refValues } : {}) }, lr);
  }
  const kept: Record<string, tf.Scalar> = {};
  const params = [...ctx.model.params.values()];
  const { value, grads } = tf.variableGrads(() => {
    const inputs = tf.tensor2d(pk.inputs, [N, L], 'int32');
    const { logits } = ctx.model.forward({ ids: inputs, positions: tf.tensor2d(pk.positions, [N, L], 'int32'), mask: causalMask(N, L) });
    const { logp, entropy } = tokenLogProbs(logits, tf.tensor2d(pk.targets, [N, L], 'int32'), T);
    const out = policyLoss({
      logpNew: logp,
      logpOld: tf.tensor2d(old, [N, L]),
      advantages: tf.tensor1d(adv),
      mask: tf.tensor2d(mask, [N, L]),
      clipLow: st.loss.clip_low,
      clipHigh: st.loss.clip_high,
      agg: st.loss.agg,
      normLength: st.budget.max,
      klCoef: st.loss.kl_coef,
      ...(ref ? { logpRef: ref, klEstimator: st.loss.kl_estimator } : {}),
      entropy,
      entropyCoef: st.loss.entropy_coef,
    });
    kept['clipFrac'] = tf.keep(out.clipFrac);
    kept['entropy'] = tf.keep(out.entropy);
    kept['kl'] = tf.keep(out.kl);
    return out.loss;
  }, params);
  ref?.dispose();
  const named = new Map<string, tf.Tensor>();
  for (const [name, v] of ctx.model.params) named.set(name, grads[v.name]!);
  const clipped = await clipByGlobalNorm(named, st.optimizer.grad_clip);
  ctx.optimizer.step(clipped.grads, lr);
  for (const g of Object.values(grads)) g.dispose();
  for (const g of clipped.grads.values()) if (!g.isDisposed) g.dispose();
  // The four scalars come back in one read.
  const scalars = [value, kept['clipFrac'], kept['entropy'], kept['kl']].map((t) => t ?? tf.scalar(0));
  const packed = tf.stack(scalars);
  const [loss, clipFrac, entropy, kl] = (await packed.data()) as Float32Array;
  tf.dispose([packed, ...scalars]);
  return { loss: loss!, clipFrac: clipFrac!, entropy: entropy!, kl: kl!, gradNorm: clipped.norm };
}

function referenceLogps(ref: Transformer, pk: ReturnType<typeof packSequences>, T: number): tf.Tensor2D {
  return tf.tidy(() => {
    const { logits } = ref.forward({ ids: tf.tensor2d(pk.inputs, [pk.N, pk.L], 'int32'), positions: tf.tensor2d(pk.positions, [pk.N, pk.L], 'int32'), mask: causalMask(pk.N, pk.L) });
    return targetLogProbs(logits, tf.tensor2d(pk.targets, [pk.N, pk.L], 'int32'), T);
  });
}
