// One metrics row per training step, from what a GRPO or SFT step returned (docs/events.md lists
// the fields).
import type { IRTrain } from '../../ir/graph.js';
import { grpoRowExtras, type grpoStep } from '../rl/grpo.js';
import type { sftStep } from '../sft/sft.js';
import type { StepMetrics } from '../types.js';

/** The fields every step row has: where in the run it is, and its budget and learning rate. */
export type StepBase = Pick<StepMetrics, 'type' | 'stage' | 'algorithm' | 'step' | 'global_step' | 'phase' | 'cycle' | 'role' | 'max_tokens' | 'lr'>;

export function stepBase(st: IRTrain, k: number, lr: number): StepBase {
  const phase = st.budget.phases[st.budget.phase_by_step[k]!]!;
  return { type: 'train', stage: st.name, algorithm: st.algorithm, step: k + 1, global_step: st.start_step + k + 1, phase: phase.name, cycle: phase.cycle, role: phase.role, max_tokens: st.budget.by_step[k]!, lr };
}

export function grpoRow(base: StepBase, r: Awaited<ReturnType<typeof grpoStep>>, time: number): StepMetrics {
  const lens = r.rollouts.map((x) => x.response.length);
  const rewards = r.scores.total;
  const mean = avg(rewards);
  return {
    ...base,
    reward_mean: mean,
    reward_std: Math.sqrt(avg(rewards.map((x) => (x - mean) ** 2))),
    accuracy: avg(r.scores.correct.map((c) => (c ? 1 : 0))),
    response_len_mean: avg(lens),
    response_len_max: Math.max(...lens),
    truncated_frac: avg(r.rollouts.map((x) => (x.truncated ? 1 : 0))),
    loss: r.loss,
    clip_frac: r.clipFrac,
    entropy: r.entropy,
    kl: r.kl,
    grad_norm: r.gradNorm,
    tokens_per_s: r.generated / time,
    time_s: time,
    groups_kept: r.groupsKept,
    reward_errors: r.scores.errors.length,
    ...grpoRowExtras(r),
  };
}

export function sftRow(base: StepBase, r: Awaited<ReturnType<typeof sftStep>>, time: number): StepMetrics {
  return {
    ...base,
    reward_mean: null,
    reward_std: null,
    accuracy: null,
    response_len_mean: r.responseLenMean,
    response_len_max: r.responseLenMax,
    truncated_frac: r.truncatedFrac,
    loss: r.loss,
    clip_frac: null,
    entropy: null,
    kl: null,
    grad_norm: r.gradNorm,
    tokens_per_s: r.tokens / time,
    time_s: time,
    groups_kept: null,
    reward_errors: 0,
    updates_skipped: r.skipped,
    ...(r.skipped ? { no_update: 'the update had a NaN or infinite gradient (skipped)' } : {}),
  };
}

const avg = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
