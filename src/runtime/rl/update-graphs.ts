// GRPO's policy update through step graphs (../webgpu/graph.ts) on webgpu: one GradientStep per
// batch shape, recorded while it runs through tfjs and replayed once two runs recorded the same
// commands. Elsewhere (and with SIRIC_WEBGPU_GRAPHS=0) grpo.ts updates through tfjs directly, as
// recorded runs were made.
//
// A graph replays only a shape it has seen, so on webgpu every update of a GRPO step is padded to
// one length: the longest sequence of the step's batch, rounded up by bucketLength (gradient-step.ts)
// (the padded positions are masked out of the loss and come after every real token, so causal
// attention never sees them).
import * as tf from '@tensorflow/tfjs';
import type { IRTrain } from '../../ir/graph.js';
import type { Transformer } from '../model/transformer.js';
import { buildMask } from '../model/transformer.js';
import type { AdamW } from '../optim/adamw.js';
import { GradientStep, GradientSteps } from '../optim/gradient-step.js';
import type { UpdateGraphStats } from '../types.js';
import type { GraphInputSpec } from '../webgpu/graph.js';
import { policyLoss, tokenLogProbs } from './loss.js';

type Inputs = 'ids' | 'positions' | 'targets' | 'old' | 'adv' | 'mask' | 'ref';
type Outputs = 'clipFrac' | 'entropy' | 'kl';

export interface PackedUpdate {
  inputs: Int32Array;
  targets: Int32Array;
  positions: Int32Array;
  /** Loss mask, π_old's log-probs, the reference's (when the KL term is on): [N, L]. */
  mask: Float32Array;
  old: Float32Array;
  ref?: Float32Array;
  adv: Float32Array;
  N: number;
  L: number;
}

/** The update graphs of one GRPO stage (its model and optimizer), by batch shape. */
export class UpdateGraphs {
  private readonly steps: GradientSteps<Inputs, Outputs>;

  constructor(
    private readonly model: Transformer,
    private readonly optimizer: AdamW,
    private readonly stage: IRTrain,
  ) {
    this.steps = new GradientSteps((key) => this.make(key));
  }

  /** One update; the loss and the other scalars, read back in one transfer. */
  async update(pk: PackedUpdate, lr: number): Promise<{ loss: number; clipFrac: number; entropy: number; kl: number; gradNorm: number }> {
    const values: Record<string, Float32Array | Int32Array> = { ids: pk.inputs, positions: pk.positions, targets: pk.targets, old: pk.old, adv: pk.adv, mask: pk.mask };
    if (pk.ref) values['ref'] = pk.ref;
    const out = this.steps.run(`${pk.N}x${pk.L}${pk.ref ? '+ref' : ''}`, values as Record<Inputs, Float32Array | Int32Array>, lr);
    const packed = tf.stack([out.loss, out.clipFrac, out.entropy, out.kl, out.gradNorm]);
    const [loss, clipFrac, entropy, kl, gradNorm] = (await packed.data()) as Float32Array;
    packed.dispose();
    return { loss: loss!, clipFrac: clipFrac!, entropy: entropy!, kl: kl!, gradNorm: gradNorm! };
  }

  stats(): UpdateGraphStats {
    return this.steps.stats();
  }

  dispose(): void {
    this.steps.dispose();
  }

  /** The step for a key `NxL[+ref]`. */
  private make(key: string): GradientStep<Inputs, Outputs> {
    const [N, L] = key.split(/[x+]/).map(Number) as [number, number];
    const withRef = key.endsWith('+ref');
    const st = this.stage;
    const T = st.sampling.temperature;
    const int: GraphInputSpec = { shape: [N, L], dtype: 'int32' };
    const float: GraphInputSpec = { shape: [N, L], dtype: 'float32' };
    const inputs = { ids: int, positions: int, targets: int, old: float, adv: { shape: [N], dtype: 'float32' }, mask: float, ...(withRef ? { ref: float } : {}) } as Record<Inputs, GraphInputSpec>;
    const mask = buildMask([new Uint8Array(L).fill(1)], 0, L); // causal, the same for every row
    return new GradientStep<Inputs, Outputs>({
      params: this.model.params,
      optimizer: this.optimizer,
      inputs,
      clip: st.optimizer.grad_clip,
      constants: [mask],
      loss: (x) => {
        const { logits } = this.model.forward({ ids: x.ids as tf.Tensor2D, positions: x.positions as tf.Tensor2D, mask });
        const { logp, entropy } = tokenLogProbs(logits, x.targets as tf.Tensor2D, T);
        const out = policyLoss({
          logpNew: logp,
          logpOld: x.old as tf.Tensor2D,
          advantages: x.adv as tf.Tensor1D,
          mask: x.mask as tf.Tensor2D,
          clipLow: st.loss.clip_low,
          clipHigh: st.loss.clip_high,
          clipRatioC: st.loss.clip_ratio_c,
          agg: st.loss.agg,
          normLength: st.budget.max,
          klCoef: st.loss.kl_coef,
          ...(withRef ? { logpRef: x.ref as tf.Tensor2D, klEstimator: st.loss.kl_estimator } : {}),
          entropy,
          entropyCoef: st.loss.entropy_coef,
        });
        return { loss: out.loss, clipFrac: out.clipFrac, entropy: out.entropy, kl: out.kl };
      },
    });
  }
}
