// Supervised warm-up: cross-entropy on the reference response (and the EOS that ends it), given
// the prompt (in the chat template, when the tokenizer has one: the response is the assistant's
// turn). A random model never earns reward, so RL starts from here.
import * as tf from '@tensorflow/tfjs';
import type { IRTrain } from '../../ir/graph.js';
import type { ExampleStream } from '../data/dataset.js';
import type { Transformer } from '../model/transformer.js';
import { AdamW, clipByGlobalNorm } from '../optim/adamw.js';
import { causalMask, packSequences } from '../rl/grpo.js';
import { encodePrompt } from '../tokenizer/chat.js';
import type { Tokenizer } from '../types.js';
import { RunError } from '../types.js';

export interface SftContext {
  model: Transformer;
  tokenizer: Tokenizer;
  stage: IRTrain;
  stream: ExampleStream;
  optimizer: AdamW;
}

export interface SftStepResult {
  loss: number;
  gradNorm: number;
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
  ctx.optimizer.step(clipped.grads, lr);
  for (const g of Object.values(grads)) g.dispose();
  for (const g of clipped.grads.values()) g.dispose();
  const loss = (await value.data())[0]!;
  value.dispose();
  const lens = rows.map((r) => r.response.length);
  return {
    loss,
    gradNorm: clipped.norm,
    tokens: lens.reduce((a, b) => a + b, 0),
    responseLenMean: lens.reduce((a, b) => a + b, 0) / lens.length,
    responseLenMax: Math.max(...lens),
    truncatedFrac: truncated / rows.length,
  };
}
