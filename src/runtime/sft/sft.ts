// Supervised warm-up: cross-entropy on the reference response (and the EOS that ends it), given
// the prompt (in the chat template, when the tokenizer has one: the response is the assistant's
// turn). A random model never earns reward, so RL starts from here.
import * as tf from '@tensorflow/tfjs';
import type { IRTrain } from '../../ir/graph.js';
import type { ExampleStream } from '../data/dataset.js';
import type { Transformer } from '../model/transformer.js';
import { AdamW, clipByGlobalNorm } from '../optim/adamw.js';
import { NonfiniteGuard, nonfiniteError } from '../optim/nonfinite.js';
import { bucketLength, GradientStep, GradientSteps } from '../optim/gradient-step.js';
import { causalMask, packSequences } from '../rl/grpo.js';
import { targetLogProbs } from '../rl/loss.js';
import { type GraphInputSpec, useStepGraphs } from '../webgpu/graph.js';
import { encodePrompt } from '../tokenizer/chat.js';
import type { Tokenizer } from '../types.js';
import { RunError } from '../types.js';

export interface SftContext {
  model: Transformer;
  tokenizer: Tokenizer;
  stage: IRTrain;
  stream: ExampleStream;
  optimizer: AdamW;
  /** The stage's step graphs (webgpu: sftGraphs); without them steps go through tfjs. */
  graphs?: SftGraphs;
  /** Counts non-finite updates across the stage's steps (made per step when absent). */
  nonfinite?: NonfiniteGuard;
}

type SftInputs = 'ids' | 'positions' | 'targets' | 'mask';
export type SftGraphs = GradientSteps<SftInputs>;

/**
 * SFT steps as step graphs (webgpu/graph.ts), one per batch shape: forward, the mean cross-entropy
 * over response tokens as token log-probs (on webgpu one row kernel each way, without the one-hot
 * [N, L, V] tensor of the tfjs path), clipping on the device, AdamW.
 */
export function sftGraphs(model: Transformer, optimizer: AdamW, stage: IRTrain): SftGraphs {
  return new GradientSteps<SftInputs>((key) => {
    const [N, L] = key.split('x').map(Number) as [number, number];
    const int: GraphInputSpec = { shape: [N, L], dtype: 'int32' };
    const causal = causalMask(N, L);
    return new GradientStep<SftInputs>({
      params: model.params,
      optimizer,
      inputs: { ids: int, positions: int, targets: int, mask: { shape: [N, L], dtype: 'float32' } },
      clip: stage.optimizer.grad_clip,
      constants: [causal],
      loss: (x) => {
        const { logits } = model.forward({ ids: x.ids as tf.Tensor2D, positions: x.positions as tf.Tensor2D, mask: causal });
        const logp = targetLogProbs(logits, x.targets as tf.Tensor2D);
        return { loss: tf.div(tf.neg(tf.sum(tf.mul(logp, x.mask))), tf.maximum(tf.sum(x.mask), 1)) as tf.Scalar };
      },
    });
  });
}

export interface SftStepResult {
  /** null when the update was skipped (a NaN or infinite gradient). */
  loss: number | null;
  gradNorm: number | null;
  skipped: number;
  tokens: number;
  responseLenMean: number;
  responseLenMax: number;
  truncatedFrac: number;
}

export async function sftStep(ctx: SftContext, lr: number): Promise<SftStepResult> {
  const { stage: st, tokenizer: tok } = ctx;
  const examples = ctx.stream.next(st.batch);
  const maxLen = st.budget.max;
  let truncated = 0;
  const rows = examples.map((ex) => {
    if (ex.response === undefined) throw new RunError(`${ex.origin}: no reference response for the sft stage \`${st.name}\``);
    let response = [...tok.encode(ex.response), tok.eos];
    if (response.length > maxLen) {
      response = response.slice(0, maxLen);
      truncated++;
    }
    return { prompt: encodePrompt(tok, ex.prompt), response };
  });
  const lens = rows.map((r) => r.response.length);
  const stats = { tokens: lens.reduce((a, b) => a + b, 0), responseLenMean: lens.reduce((a, b) => a + b, 0) / lens.length, responseLenMax: Math.max(...lens), truncatedFrac: truncated / rows.length };
  if (ctx.graphs && useStepGraphs()) {
    // One length per bucket, so that steps share shapes (the padding is masked out of the loss).
    const pk = packSequences(rows, tok.pad, bucketLength(Math.max(...rows.map((r) => r.prompt.length + r.response.length - 1)), ctx.model.config.max_position_embeddings));
    const out = ctx.graphs.run(`${pk.N}x${pk.L}`, { ids: pk.inputs, positions: pk.positions, targets: pk.targets, mask: pk.mask }, lr);
    const packed = tf.stack([out.loss, out.gradNorm]);
    const [loss, gradNorm] = (await packed.data()) as Float32Array;
    packed.dispose();
    // A graph applies the update on the device before its norm is read: it cannot be skipped.
    if (!Number.isFinite(gradNorm)) throw nonfiniteError(st.name, 1, 'was applied on the device by an update graph, which cannot skip one', 'rerun with SIRIC_WEBGPU_GRAPHS=0 to skip such updates instead');
    return { loss: loss!, gradNorm: gradNorm!, skipped: 0, ...stats };
  }
  const pk = packSequences(rows, tok.pad);
  const { N, L } = pk;
  const params = [...ctx.model.params.values()];
  const { value, grads } = tf.variableGrads(() => {
    const { logits } = ctx.model.forward({ ids: tf.tensor2d(pk.inputs, [N, L], 'int32'), positions: tf.tensor2d(pk.positions, [N, L], 'int32'), mask: causalMask(N, L) });
    // Mean cross-entropy over response tokens: −log p(target), via a one-hot product (no gather gradient needed).
    const logp = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor2d(pk.targets, [N, L], 'int32'), ctx.model.config.vocab_size)), -1);
    const mask = tf.tensor2d(pk.mask, [N, L]);
    return tf.div(tf.neg(tf.sum(tf.mul(logp, mask))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  }, params);
  const named = new Map<string, tf.Tensor>();
  for (const [name, v] of ctx.model.params) named.set(name, grads[v.name]!);
  const clipped = await clipByGlobalNorm(named, st.optimizer.grad_clip);
  // A NaN or infinite gradient is not applied (optim/nonfinite.ts): weights and AdamW state stay.
  const finite = Number.isFinite(clipped.norm);
  if (finite) ctx.optimizer.step(clipped.grads, lr);
  for (const g of Object.values(grads)) g.dispose();
  for (const g of clipped.grads.values()) g.dispose();
  const loss = (await value.data())[0]!;
  value.dispose();
  const guard = ctx.nonfinite ?? new NonfiniteGuard(st.stop_after_nonfinite, st.name);
  if (!guard.admit(clipped.norm)) return { loss: null, gradNorm: null, skipped: 1, ...stats };
  return { loss, gradNorm: clipped.norm, skipped: 0, ...stats };
}
