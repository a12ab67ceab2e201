// The GRPO/DAPO policy loss over per-token log-probs, and the log-probs themselves.
//
// Shapes: N responses × T token positions; `mask` is 1 on the tokens that count (response tokens,
// not padding, not responses dropped by the overlong filter) and 0 elsewhere. Everything is a loss
// to minimise. Gradient flows through `logpNew` (and through `entropy`, so that the entropy bonus
// does something); `logpOld`, `logpRef`, `advantages` and `mask` are data and get zero gradient.
//
// Conventions (verl's `compute_policy_loss` / `agg_loss` / `kl_penalty`, see ../shared/reference/RL.md):
// - per-token log-ratios are masked first (masked positions get ratio 1, so padding can never
//   produce inf·0 = NaN) and clamped to [−20, 20] before exp, as verl does;
// - clipFrac counts the tokens where the clipped term is strictly the larger loss (verl
//   `pg_clipfrac`), always as a share of masked tokens;
// - dual-clip (verl `clip_ratio_c`, default 3): for a negative advantage the per-token loss is at
//   most −A·c, so one token whose ratio ran away cannot dominate the batch;
// - the k3 KL estimate is clamped to [−10, 10] per token, as verl's `kl_penalty` does for
//   `low_var_kl`;
// - in the two seq_* modes, responses with no masked-in token are left out of the mean over
//   responses, so filtering a response never shrinks the weight of the others.
import * as tf from '@tensorflow/tfjs';
import { hasRowKernels } from '../webgpu/kernels/rows.js';
import { TOKEN_LOGP, TOKEN_LOGP_DX } from '../webgpu/kernels/vocab.js';
import { useFusedBlocks } from '../model/fused.js';

export type LossAgg = 'token_mean' | 'seq_mean_token_mean' | 'seq_mean_token_sum_norm';
export type KlEstimator = 'k1' | 'k2' | 'k3';

export interface PolicyLossInput {
  /** [N, T] log π_θ(o_t | …) of the current policy (differentiated). */
  logpNew: tf.Tensor2D;
  /** [N, T] log π_old at sampling time. */
  logpOld: tf.Tensor2D;
  /** [N] one advantage per response, shared by its tokens. */
  advantages: tf.Tensor1D;
  /** [N, T] 1 on tokens in the loss, 0 elsewhere. */
  mask: tf.Tensor2D;
  /** ε_low: ratios below 1 − clipLow are clipped. */
  clipLow: number;
  /** ε_high: ratios above 1 + clipHigh are clipped (DAPO clip-higher). */
  clipHigh: number;
  /** Dual-clip bound c > 1 for negative advantages (verl `clip_ratio_c`); absent or null: off. */
  clipRatioC?: number | null;
  agg: LossAgg;
  /** Constant per-response normaliser for `seq_mean_token_sum_norm` (e.g. the stage's max budget). */
  normLength?: number;
  klCoef?: number;
  /** [N, T] log π_ref of a frozen reference; required when klCoef > 0. */
  logpRef?: tf.Tensor2D;
  /** Default k3 (verl's `low_var_kl`). */
  klEstimator?: KlEstimator;
  /** [N, T] per-token entropy of the current policy. */
  entropy?: tf.Tensor2D;
  entropyCoef?: number;
}

export type PolicyLossOutput = {
  /** pgLoss + klCoef·kl − entropyCoef·entropy: what the optimizer minimises. */
  loss: tf.Scalar;
  /** The aggregated clipped surrogate −min(ρA, clip(ρ)A). */
  pgLoss: tf.Scalar;
  /** Share of masked tokens where the clip is active. */
  clipFrac: tf.Scalar;
  /** Aggregated ½(logpNew − logpOld)². */
  approxKl: tf.Scalar;
  /** Aggregated KL estimate to the reference (0 without one). */
  kl: tf.Scalar;
  /** Aggregated entropy (0 without one). */
  entropy: tf.Scalar;
};

/** Bound on |log-ratio| before exp (verl clamps at ±20 too). */
const MAX_LOG_RATIO = 20;
/** Bound on the per-token k3 estimate (verl's `kl_penalty`, `low_var_kl`: clamp to ±10). */
const MAX_K3 = 10;

export function policyLoss(a: PolicyLossInput): PolicyLossOutput {
  const [N, T] = a.logpNew.shape;
  for (const [name, t] of [['logpOld', a.logpOld], ['mask', a.mask], ['logpRef', a.logpRef], ['entropy', a.entropy]] as const) {
    if (t && (t.shape[0] !== N || t.shape[1] !== T)) throw new Error(`policyLoss: ${name} has shape [${t.shape}], expected [${N},${T}]`);
  }
  if (a.advantages.shape[0] !== N) throw new Error(`policyLoss: ${a.advantages.shape[0]} advantages for ${N} responses`);
  if (a.agg === 'seq_mean_token_sum_norm' && !(a.normLength! > 0)) throw new Error('policyLoss: seq_mean_token_sum_norm needs a positive normLength');
  const klCoef = a.klCoef ?? 0;
  if (klCoef > 0 && !a.logpRef) throw new Error('policyLoss: klCoef > 0 needs logpRef');
  const c = a.clipRatioC ?? null;
  if (c !== null && !(c > 1)) throw new Error(`policyLoss: clipRatioC must be above 1, got ${c}`);
  const entropyCoef = a.entropyCoef ?? 0;

  return tf.tidy(() => {
    const mask = constant(a.mask); // [N, T]
    const agg = (x: tf.Tensor): tf.Scalar => aggregate(x as tf.Tensor2D, mask, a.agg, a.normLength);

    // ρ = exp(logpNew − logpOld), 1 on masked-out positions.
    const logRatio = tf.clipByValue(onMask(tf.sub(a.logpNew, constant(a.logpOld)), mask), -MAX_LOG_RATIO, MAX_LOG_RATIO); // [N, T]
    const ratio = tf.exp(logRatio); // [N, T]
    const adv = tf.expandDims(constant(a.advantages), 1); // [N, 1]
    const unclipped = tf.neg(tf.mul(adv, ratio)); // [N, T]  −ρA
    const clipped = tf.neg(tf.mul(adv, tf.clipByValue(ratio, 1 - a.clipLow, 1 + a.clipHigh))); // [N, T]  −clip(ρ)A
    const clippedMax = tf.maximum(unclipped, clipped); // [N, T]  −min(ρA, clip(ρ)A)
    // Dual-clip: where A < 0, min(−min(ρA, clip(ρ)A), −A·c) (verl compute_policy_loss).
    const perToken = c === null ? clippedMax : tf.where(tf.broadcastTo(tf.less(adv, 0), [N, T]), tf.minimum(clippedMax, tf.mul(tf.neg(adv), c)), clippedMax); // [N, T]
    const pgLoss = agg(perToken);

    const isClipped = tf.cast(tf.greater(clipped, unclipped), 'float32'); // [N, T]
    const clipFrac = aggregate(isClipped as tf.Tensor2D, mask, 'token_mean');
    const approxKl = agg(tf.mul(0.5, tf.square(logRatio)));

    let loss: tf.Scalar = pgLoss;
    let kl: tf.Scalar = tf.scalar(0);
    if (a.logpRef) {
      kl = agg(klPerToken(a.logpNew, constant(a.logpRef) as tf.Tensor2D, mask, a.klEstimator ?? 'k3'));
      if (klCoef > 0) loss = tf.add(loss, tf.mul(klCoef, kl));
    }
    let entropy: tf.Scalar = tf.scalar(0);
    if (a.entropy) {
      entropy = agg(a.entropy);
      if (entropyCoef > 0) loss = tf.sub(loss, tf.mul(entropyCoef, entropy));
    }
    return { loss, pgLoss, clipFrac, approxKl, kl, entropy };
  });
}

/**
 * Per-token KL(π_θ ‖ π_ref) estimators (Schulman, "Approximating KL divergence"), with
 * d = logref − logp (masked, clamped to ±20):
 *   k1 = logp − logref = −d,   k2 = ½(logp − logref)² = ½d²,   k3 = exp(d) − d − 1, clamped to
 * [−10, 10] as verl does (k3 ≥ 0, so only the top bound acts: exp(20) would swamp the loss).
 */
export function klPerToken(logp: tf.Tensor2D, logpRef: tf.Tensor2D, mask: tf.Tensor2D, estimator: KlEstimator): tf.Tensor2D {
  return tf.tidy(() => {
    const d = tf.clipByValue(onMask(tf.sub(logpRef, logp), mask), -MAX_LOG_RATIO, MAX_LOG_RATIO); // [N, T]
    if (estimator === 'k1') return tf.neg(d);
    if (estimator === 'k2') return tf.mul(0.5, tf.square(d));
    return tf.clipByValue(tf.sub(tf.sub(tf.exp(d), d), 1), -MAX_K3, MAX_K3);
  }) as tf.Tensor2D;
}

/**
 * Reduce per-token values x [N, T] to a scalar over the tokens where mask = 1 (a 0/1 mask):
 * - token_mean: Σ x·m / Σ m (every token of the batch weighs the same; DAPO);
 * - seq_mean_token_mean: mean over responses of (Σ_t x·m / Σ_t m) (original GRPO);
 * - seq_mean_token_sum_norm: mean over responses of (Σ_t x·m / normLength) (Dr. GRPO).
 * Responses with no token in the mask are not counted in the seq_* means; an empty mask gives 0.
 */
export function aggregate(x: tf.Tensor2D, mask: tf.Tensor2D, agg: LossAgg, normLength?: number): tf.Scalar {
  return tf.tidy(() => {
    const masked = onMask(x, mask); // [N, T]
    if (agg === 'token_mean') return tf.div(tf.sum(masked), tf.maximum(tf.sum(mask), 1));
    const sums = tf.sum(masked, 1); // [N]
    const counts = tf.sum(mask, 1); // [N]
    const perSeq = agg === 'seq_mean_token_mean' ? tf.div(sums, tf.maximum(counts, 1)) : tf.div(sums, normLength!); // [N]
    const present = tf.sum(tf.cast(tf.greater(counts, 0), 'float32')); // number of responses with tokens
    return tf.div(tf.sum(perSeq), tf.maximum(present, 1));
  }) as tf.Scalar;
}

/**
 * Log-probability of each target token and the entropy of each position's distribution, both under
 * softmax(logits / temperature) (the distribution the sampler drew from).
 * logits [N, T, V], targets int32 [N, T] → logp [N, T], entropy [N, T].
 * The target is picked with a one-hot product rather than tf.gather: the gradient of gather needs
 * UnsortedSegmentSum, which the wasm backend lacks; the product's gradient is a plain multiply.
 */
export function tokenLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D, temperature = 1): { logp: tf.Tensor2D; entropy: tf.Tensor2D } {
  if (!(temperature > 0)) throw new Error(`tokenLogProbs: temperature must be positive, got ${temperature}`);
  return tf.tidy(() => {
    const V = logits.shape[2];
    if (rowKernels()) return { logp: rowLogp(logits, targets, temperature, false), entropy: rowLogp(logits, targets, temperature, true) };
    const logProbs = tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature)); // [N, T, V]
    const logp = tf.sum(tf.mul(logProbs, tf.oneHot(tf.cast(targets, 'int32'), V)), -1) as tf.Tensor2D; // [N, T]
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), -1)) as tf.Tensor2D; // [N, T]  −Σ p log p
    return { logp, entropy };
  });
}

/** tokenLogProbs's logp alone, for callers that need no entropy (cross-entropy, reference log-probs). */
export function targetLogProbs(logits: tf.Tensor3D, targets: tf.Tensor2D, temperature = 1): tf.Tensor2D {
  if (!(temperature > 0)) throw new Error(`targetLogProbs: temperature must be positive, got ${temperature}`);
  return rowKernels() ? tf.tidy(() => rowLogp(logits, targets, temperature, false)) : tokenLogProbs(logits, targets, temperature).logp;
}

/** Whether the log-probs run as row kernels: the fused blocks on a backend that has them (webgpu). */
const rowKernels = (): boolean => useFusedBlocks() && hasRowKernels();

/**
 * log p[target] (entropy false) or the entropy of softmax(logits/temperature) at each position, as
 * one op with its gradient: one row kernel each way instead of a dozen ops over [N, T, V] tensors.
 */
function rowLogp(logits: tf.Tensor3D, targets: tf.Tensor2D, temperature: number, entropy: boolean): tf.Tensor2D {
  const [N, T, V] = logits.shape;
  const tg = tf.cast(targets, 'int32').reshape([N * T]);
  const attrs = { temperature, entropy } as unknown as tf.NamedAttrMap;
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi]);
    return {
      value: tf.engine().runKernel(TOKEN_LOGP, { x: xi, tg }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => tf.engine().runKernel(TOKEN_LOGP_DX, { dy, x: sx!, tg }, attrs) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits.reshape([N * T, V])).reshape([N, T]) as tf.Tensor2D;
}

/**
 * x where mask > 0, exactly 0 elsewhere, whatever x holds there (even ±Infinity or NaN, which a
 * product with the mask would turn into NaN); the gradient at masked-out positions is 0.
 */
function onMask(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.where(tf.greater(mask, 0), x, tf.zerosLike(x));
}

/** The value of x with a zero gradient (TensorFlow.js has no stopGradient op). */
function constant<T extends tf.Tensor>(x: T): T {
  return tf.customGrad((t) => ({ value: tf.clone(t as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }))(x) as T;
}
