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
import type { Example, RewardInput, RewardSet, ScoredBatch, StepMetrics, Tokenizer } from '../types.js';
import { groupAdvantages } from './advantage.js';
import { noGroupsReason, sampleGroups } from './dynamic-sampling.js';
import { NonfiniteGuard, nonfiniteError } from '../optim/nonfinite.js';
import { policyLoss, targetLogProbs, tokenLogProbs } from './loss.js';
import { sample, type Samples } from './sampler.js';
import { bucketLength } from '../optim/gradient-step.js';
import { useStepGraphs } from '../webgpu/graph.js';
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
  /** Counts non-finite updates across the stage's steps (made per step when absent). */
  nonfinite?: NonfiniteGuard;
}

export interface Rollout {
  example: Example;
  prompt: number[];
  response: number[];
  logps: number[];
  truncated: boolean;
  /** This row's response budget: the step's, or less when its prompt leaves less of the context. */
  budget: number;
  text: string;
}

/** The scalars of one update; null where it was skipped (a NaN or infinite gradient). */
export interface UpdateMetrics {
  loss: number;
  clipFrac: number;
  entropy: number;
  kl: number;
  gradNorm: number;
  /** The gradient was not finite: weights and optimizer state were left as they were. */
  skipped: boolean;
}

export interface GrpoStepResult {
  /** Every sampling round's rollouts and scores: the step's metrics cover them all. */
  rollouts: Rollout[];
  scores: ScoredBatch;
  /** Groups that entered the update (after dynamic sampling). */
  groupsKept: number;
  /** Sampling rounds run, and groups the batch still lacked after them (dynamic sampling). */
  rounds: number;
  groupsShort: number;
  /** Why no update ran (null when one did); the update's metrics are then null. */
  noUpdate: string | null;
  /** Means over the applied updates. */
  loss: number | null;
  clipFrac: number | null;
  entropy: number | null;
  kl: number | null;
  gradNorm: number | null;
  /** Updates skipped for a non-finite gradient. */
  skipped: number;
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
  return prompts.map((p, i) => ({ example: owners[i]!, prompt: p, response: out.tokens[i]!, logps: out.logps[i]!, truncated: out.truncated[i]!, budget: out.budgets[i]!, text: tok.decode(out.tokens[i]!) }));
}

/** What each reward sees: the response, and the budget its own row had. */
export function rewardInputs(rs: Rollout[]): RewardInput[] {
  return rs.map((r) => {
    const input: RewardInput = { prompt: r.example.prompt, response: r.text, truncated: r.truncated, length: r.response.length, budget: r.budget };
    if (r.example.answer !== undefined) input.answer = r.example.answer;
    return input;
  });
}

export async function grpoStep(ctx: GrpoContext, budget: number, lr: number, rng: Rng): Promise<GrpoStepResult> {
  const st = ctx.stage;
  const G = st.group;
  // 1. Sample and score; with dynamic sampling, drop groups with nothing to learn and sample more
  //    (dynamic-sampling.ts).
  const s = await sampleGroups(st, async (n) => {
    const rs = await rollout(ctx.model, ctx.tokenizer, ctx.stream.next(n), G, budget, st.sampling, rng);
    return { rollouts: rs, scores: await ctx.rewards.score(rewardInputs(rs)) };
  });
  const { rollouts, scores } = s;
  const generated = rollouts.reduce((n, r) => n + r.response.length, 0);
  const result: GrpoStepResult = { rollouts, scores, groupsKept: s.kept, rounds: s.rounds, groupsShort: s.short, noUpdate: null, loss: null, clipFrac: null, entropy: null, kl: null, gradNorm: null, skipped: 0, generated };

  // 2. Group advantages, computed per group on the kept groups.
  const idx: number[] = [];
  s.keep.forEach((k, g) => {
    if (k) for (let i = 0; i < G; i++) idx.push(g * G + i);
  });
  if (idx.length === 0) return { ...result, noUpdate: noGroupsReason(st.dynamic_sampling.metric) };
  const adv = groupAdvantages(idx.map((i) => scores.total[i]!), G, st.loss.std_scale);
  const batch = idx.map((i) => rollouts[i]!);

  // 3. K epochs over mini-batches of whole groups. With update graphs, every update of the step has
  //    one length, so that they share a shape. An update with a non-finite gradient is skipped
  //    (optim/nonfinite.ts); the metrics are means over the applied ones.
  const graphs = ctx.graphs && useStepGraphs() ? ctx.graphs : undefined;
  const padTo = graphs ? bucketLength(Math.max(...batch.map((r) => r.prompt.length + r.response.length - 1)), ctx.model.config.max_position_embeddings) : 0;
  const guard = ctx.nonfinite ?? new NonfiniteGuard(st.stop_after_nonfinite, st.name);
  const mb = st.mini_batch * G;
  const sums = { loss: 0, clipFrac: 0, entropy: 0, kl: 0, gradNorm: 0 };
  let n = 0;
  for (let epoch = 0; epoch < st.epochs; epoch++) {
    const groups = rng.shuffle(Array.from({ length: batch.length / G }, (_, g) => g));
    for (let start = 0; start < groups.length * G; start += mb) {
      const members = groups.slice(start / G, (start + mb) / G).flatMap((g) => Array.from({ length: G }, (_, i) => g * G + i));
      const m = await policyUpdate(ctx, members.map((i) => batch[i]!), members.map((i) => adv[i]!), lr, graphs, padTo);
      if (!guard.admit(m.gradNorm)) {
        result.skipped++;
        continue;
      }
      for (const k of Object.keys(sums) as (keyof typeof sums)[]) sums[k] += m[k];
      n++;
    }
  }
  if (n === 0) return { ...result, noUpdate: `every update had a NaN or infinite gradient (${result.skipped} skipped)` };
  for (const k of Object.keys(sums) as (keyof typeof sums)[]) result[k] = sums[k] / n;
  return result;
}

/** A step's row fields beyond the common ones: sampling rounds, a short batch, skips, no update. */
export function grpoRowExtras(r: GrpoStepResult): Pick<StepMetrics, 'sampling_rounds' | 'groups_short' | 'updates_skipped' | 'no_update'> {
  return { sampling_rounds: r.rounds, groups_short: r.groupsShort, updates_skipped: r.skipped, ...(r.noUpdate ? { no_update: r.noUpdate } : {}) };
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
export async function policyUpdate(ctx: GrpoContext, rs: Rollout[], adv: number[], lr: number, graphs?: UpdateGraphs, padTo = 0): Promise<UpdateMetrics> {
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
    const m = await graphs.update({ ...pk, old, mask, adv: Float32Array.from(adv), ...(refValues ? { ref: refValues } : {}) }, lr);
    // A graph applies the update on the device before its norm is read: it cannot be skipped.
    if (!Number.isFinite(m.gradNorm)) throw nonfiniteError(st.name, 1, 'was applied on the device by an update graph, which cannot skip one', 'rerun with SIRIC_WEBGPU_GRAPHS=0 to skip such updates instead');
    return { ...m, skipped: false };
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
      clipRatioC: st.loss.clip_ratio_c,
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
  // A NaN or infinite gradient is not applied: weights and AdamW's moments and step count stay.
  const skipped = !Number.isFinite(clipped.norm);
  if (!skipped) ctx.optimizer.step(clipped.grads, lr);
  for (const g of Object.values(grads)) g.dispose();
  for (const g of clipped.grads.values()) if (!g.isDisposed) g.dispose();
  // The four scalars come back in one read.
  const scalars = [value, kept['clipFrac'], kept['entropy'], kept['kl']].map((t) => t ?? tf.scalar(0));
  const packed = tf.stack(scalars);
  const [loss, clipFrac, entropy, kl] = (await packed.data()) as Float32Array;
  tf.dispose([packed, ...scalars]);
  return { loss: loss!, clipFrac: clipFrac!, entropy: entropy!, kl: kl!, gradNorm: clipped.norm, skipped };
}

function referenceLogps(ref: Transformer, pk: ReturnType<typeof packSequences>, T: number): tf.Tensor2D {
  return tf.tidy(() => {
    const { logits } = ref.forward({ ids: tf.tensor2d(pk.inputs, [pk.N, pk.L], 'int32'), positions: tf.tensor2d(pk.positions, [pk.N, pk.L], 'int32'), mask: causalMask(pk.N, pk.L) });
    return targetLogProbs(logits, tf.tensor2d(pk.targets, [pk.N, pk.L], 'int32'), T);
  });
}
