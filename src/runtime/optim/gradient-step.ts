// One optimizer step of a loss — forward, gradients, optional clipping by global norm, AdamW — as a
// step graph (../webgpu/graph.ts): on webgpu recorded and then replayed, elsewhere run through tfjs.
// The step's varying data comes in as the graph's inputs; its scalars come back as tensors.
import * as tf from '@tensorflow/tfjs';
import type { UpdateGraphStats } from '../types.js';
import { type GraphInputSpec, StepGraph, type StepGraphStatus } from '../webgpu/graph.js';
import { type AdamW, pairwiseSum } from './adamw.js';

/**
 * Clipping by global norm without reading the norm back: coef = min(1, maxNorm / (‖g‖ + 1e-6)) as a
 * tensor, every gradient times coef. clipByGlobalNorm's arithmetic (pairwise sums on webgpu), kept
 * on the device so that a step graph can hold it.
 */
export function clipOnDevice(grads: Map<string, tf.Tensor>, maxNorm: number | null): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const norm = (grads.size ? tf.sqrt(pairwiseSum([...grads.values()].map((g) => tf.sum(tf.square(g))))) : tf.scalar(0)) as tf.Scalar;
  if (maxNorm === null) return { grads, norm };
  const coef = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  return { grads: new Map([...grads].map(([k, g]) => [k, tf.mul(g, coef)])), norm };
}

export interface GradientStepOptions<I extends string, O extends string> {
  params: Map<string, tf.Variable>;
  optimizer: AdamW;
  inputs: Record<I, GraphInputSpec>;
  /** The loss to minimise, and any other scalars to report, from the inputs. */
  loss: (x: Record<I, tf.Tensor>) => { loss: tf.Scalar } & Record<O, tf.Tensor>;
  /** Clip the gradients to this global norm (null: measure the norm only; undefined: neither). */
  clip?: number | null;
  /** Tensors made once that the loss reads (StepGraphOptions.constants): freed with the step. */
  constants?: tf.Tensor[];
}

export class GradientStep<I extends string, O extends string = never> {
  private readonly graph: StepGraph<I, O | 'loss' | 'gradNorm'>;
  private readonly optimizer: AdamW;

  constructor(o: GradientStepOptions<I, O>) {
    const vars = [...o.params.values()];
    this.optimizer = o.optimizer;
    this.graph = new StepGraph({
      inputs: o.inputs,
      ...(o.constants ? { constants: o.constants } : {}),
      state: () => [...vars, ...o.optimizer.stateTensors()],
      body: (x) => {
        let out: { loss: tf.Scalar } & Record<O, tf.Tensor> = undefined as never;
        const { value, grads } = tf.variableGrads(() => {
          out = o.loss(x);
          // The other scalars outlive variableGrads' scope (they are outputs; the graph frees them).
          for (const [k, t] of Object.entries(out) as [string, tf.Tensor][]) if (k !== 'loss') tf.keep(t);
          return out.loss;
        }, vars);
        // A parameter the loss does not reach has no gradient: AdamW leaves it (and its moments) alone.
        let named = new Map<string, tf.Tensor>();
        for (const [k, v] of o.params) if (grads[v.name]) named.set(k, grads[v.name]!);
        let gradNorm: tf.Tensor | undefined;
        if (o.clip !== undefined) ({ grads: named, norm: gradNorm } = clipOnDevice(named, o.clip));
        o.optimizer.applyStep(named);
        return { ...out, loss: value, gradNorm: gradNorm ?? tf.scalar(0) } as Record<O | 'loss' | 'gradNorm', tf.Tensor>;
      },
    });
  }

  /** One step at learning rate lr; the outputs belong to the step (valid until the next run). */
  run(values: Record<I, Float32Array | Int32Array>, lr: number): Record<O | 'loss' | 'gradNorm', tf.Tensor> {
    this.optimizer.prepareStep(lr);
    return this.graph.run(values);
  }

  status(): StepGraphStatus {
    return this.graph.status();
  }

  /** GPU memory the step's graph alone holds (0 until it replays, and off webgpu). */
  reservedBytes(): number {
    return this.graph.reservedBytes();
  }

  dispose(): void {
    this.graph.dispose();
  }
}

/** Sequence lengths are padded up to a multiple of at least this (fewer shapes, fewer graphs to record). */
export const LENGTH_BUCKET = 32;

/**
 * The padded length for a batch whose longest sequence is L, within the model's positions: a
 * multiple of LENGTH_BUCKET, or of an eighth of L's power of two for long sequences (at most 1/8
 * padding, and few shapes across a long budget's range: 8k to 16k tokens is 8 of them).
 */
export function bucketLength(L: number, maxPositions: number): number {
  const step = Math.max(LENGTH_BUCKET, 2 ** (Math.floor(Math.log2(Math.max(1, L))) - 3));
  return Math.max(L, Math.min(Math.ceil(L / step) * step, maxPositions));
}

export interface GradientStepsOptions {
  /** Most shapes kept (default 8). */
  maxShapes?: number;
  /**
   * Above this many bytes of reserved GPU memory (the kept graphs' intermediates), shapes beyond
   * the two most recently used are let go (default SIRIC_WEBGPU_GRAPH_MB, else 512 MB).
   */
  budgetBytes?: number;
}

/** Shapes kept whatever their memory: a stage alternating between two lengths keeps replaying. */
const MIN_SHAPES = 2;

/**
 * Gradient steps by batch shape, for a stage whose batches vary in length. Each step's graph holds
 * the intermediate buffers of its shape, so the least recently used shapes are let go: beyond
 * maxShapes, and beyond two while their memory is over the budget. A small model keeps a graph for
 * every length bucket its updates use; a large one keeps two. Counts the updates run and replayed.
 */
export class GradientSteps<I extends string, O extends string = never> {
  private readonly steps = new Map<string, GradientStep<I, O>>();
  private updates = 0;
  /** Replays by steps already let go. */
  private replayedBefore = 0;
  private reason: string | undefined;
  private readonly maxShapes: number;
  private readonly budgetBytes: number;

  constructor(
    private readonly make: (key: string) => GradientStep<I, O>,
    o: GradientStepsOptions = {},
  ) {
    this.maxShapes = Math.max(1, o.maxShapes ?? 8);
    const env = process.env['SIRIC_WEBGPU_GRAPH_MB'];
    const mb = env ? Number(env) : NaN;
    this.budgetBytes = o.budgetBytes ?? (mb >= 0 ? mb : 512) * 2 ** 20;
  }

  private reservedBytes(): number {
    let n = 0;
    for (const g of this.steps.values()) n += g.reservedBytes();
    return n;
  }

  /** One step of the graph for this shape key (made on first use). */
  run(key: string, values: Record<I, Float32Array | Int32Array>, lr: number): Record<O | 'loss' | 'gradNorm', tf.Tensor> {
    let g = this.steps.get(key);
    if (g) this.steps.delete(key); // re-inserted below: most recently used last
    else {
      while (this.steps.size >= this.maxShapes || (this.steps.size >= MIN_SHAPES && this.reservedBytes() > this.budgetBytes)) {
        const [oldest, h] = this.steps.entries().next().value as [string, GradientStep<I, O>];
        this.replayedBefore += h.status().replayed;
        h.dispose();
        this.steps.delete(oldest);
      }
      g = this.make(key);
    }
    this.steps.set(key, g);
    const out = g.run(values, lr);
    this.updates++;
    const st = g.status();
    if (!st.ready && st.reason) this.reason = st.reason;
    return out;
  }

  /** Updates so far, how many were replayed, and why the last one through tfjs was not. */
  stats(): UpdateGraphStats {
    let replayed = this.replayedBefore;
    for (const g of this.steps.values()) replayed += g.status().replayed;
    return { updates: this.updates, replayed, ...(this.reason ? { reason: this.reason } : {}) };
  }

  dispose(): void {
    for (const g of this.steps.values()) (this.replayedBefore += g.status().replayed), g.dispose();
    this.steps.clear();
  }
}
