// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), gradient
// clipping by global norm, and the learning-rate schedule.
//
// Update, per parameter p with gradient g at step t (1-based), in PyTorch's `torch.optim.AdamW` form:
//   m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
//   m̂ = m / (1 − β1^t)             v̂ = v / (1 − β2^t)
//   p ← p − lr·( m̂ / (√v̂ + ε) + λ·p )      (λ·p only for decayed parameters, with the old p)
// The decay is decoupled from the gradient (never enters m or v) and scaled by the current lr, as
// in PyTorch and Hugging Face.
//
// Decay rule: parameters of rank ≥ 2 (matmul weights and embeddings) are decayed; rank-1 ones
// (RMSNorm/LayerNorm gains, biases) are not. This is nanoGPT's rule (`p.dim() >= 2`, "all weight
// tensors in matmuls + embeddings decay, all biases and layernorms don't") and agrees with the
// Hugging Face Trainer's default of excluding biases and norm weights.
import * as tf from '@tensorflow/tfjs';
import { ADAM_MOMENTS, ADAM_PARAM, adamInPlace, hasFusedAdam } from '../webgpu/kernels/adamw.js';
import { markWrittenOnDevice, overwrite, soleOwner } from '../webgpu/kernels/inplace.js';
import { RunError } from '../types.js';

export interface AdamWConfig {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** λ, default 0.01 (PyTorch's default). */
  weightDecay?: number;
  /**
   * Packed mode: parameters in flat groups with their moments in one tensor per group (the same
   * numbers in far fewer kernels; on webgpu two fused kernels per group). Default: on webgpu only.
   */
  fuse?: boolean;
}

/** Values in one fused group (64 MiB of float32): bounds the flat copies a step makes. */
const FUSE_LIMIT = 2 ** 24;

/** Moments as plain arrays (flattened, in each parameter's row-major order), for checkpoints. */
export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** AdamW's two halves as tfjs ops, with the step's constants bound. */
interface UpdateOps {
  moments(m: tf.Tensor, v: tf.Tensor, g: tf.Tensor): [tf.Tensor, tf.Tensor];
  param(p: tf.Tensor, m1: tf.Tensor, v1: tf.Tensor, decays: boolean): tf.Tensor;
  lr: number;
}

/** Parameters updated together in packed mode, with their moments in one [2n] tensor (m, then v). */
interface PackedGroup {
  names: string[];
  sizes: number[];
  /** Where each parameter starts in the group's flat order. */
  offsets: number[];
  n: number;
  decays: boolean;
  mv: tf.Variable;
}

export class AdamW {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  /** Per-parameter moments (unpacked mode). */
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** Packed mode: groups of parameters, and each parameter's group. */
  private readonly packed: PackedGroup[] = [];
  private readonly groupOf = new Map<string, PackedGroup>();
  private t = 0;
  /** The learning rate of the step prepareStep began. */
  private lr = 0;
  /** webgpu's packed mode: [bc1, bc2, lr] of the current step, kept in one buffer. */
  private steps: tf.Tensor | undefined;

  /** `params`: parameter name → variable (the model's own map; updated in place). */
  constructor(
    private readonly params: Map<string, tf.Variable>,
    cfg: AdamWConfig = {},
  ) {
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.eps = cfg.eps ?? 1e-8;
    this.weightDecay = cfg.weightDecay ?? 0.01;
    if (cfg.fuse ?? tf.getBackend() === 'webgpu') {
      for (const names of this.fusedGroups()) {
        const sizes = names.map((n) => params.get(n)!.size);
        const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
        const n = sizes.reduce((a, b) => a + b, 0);
        const g: PackedGroup = { names, sizes, offsets, n, decays: this.decays(names[0]!), mv: tf.tidy(() => tf.variable(tf.zeros([2 * n]), false)) };
        this.packed.push(g);
        for (const name of names) this.groupOf.set(name, g);
      }
      // Made here, not at the first step, so that a step leaves the tensor count where it was.
      if (hasFusedAdam()) this.steps = tf.tensor1d([1, 1, 0]);
      return;
    }
    for (const [name, p] of params) {
      // The zeros are temporaries (a variable keeps its own reference to the data).
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /** Number of steps taken (t of the last update). */
  get stepCount(): number {
    return this.t;
  }

  /** Whether weight decay applies to this parameter (rank ≥ 2). */
  decays(name: string): boolean {
    return (this.params.get(name)?.rank ?? 0) >= 2;
  }

  /**
   * One update with already-clipped gradients (name → tensor of the parameter's shape). Parameters
   * without a gradient are left alone (their moments too). The gradients are not disposed.
   */
  step(grads: Map<string, tf.Tensor>, lr: number): void {
    this.checkGrads(grads);
    this.prepareStep(lr);
    this.applyStep(grads);
  }

  /**
   * The host's half of a step: the step count, and on webgpu the step's values (bias corrections,
   * learning rate) written into a tensor the kernels read. With applyStep, the same as step(); a
   * step graph (runtime/webgpu/graph.ts) records applyStep and runs prepareStep before each replay.
   */
  prepareStep(lr: number): void {
    this.t += 1;
    this.lr = lr;
    // A tensor rather than uniforms that change at every step, which would miss the dispatch
    // caches; written in place, so that its buffer stays the same.
    if (this.steps) overwrite(this.steps, Float32Array.from([1 - this.beta1 ** this.t, 1 - this.beta2 ** this.t, lr]));
  }

  /** The device's half: the update itself, for the step prepareStep began. */
  applyStep(grads: Map<string, tf.Tensor>): void {
    this.checkGrads(grads);
    if (this.t === 0) throw new Error('AdamW.applyStep: call prepareStep first');
    const lr = this.lr;
    const steps = this.steps;
    if (steps) {
      for (const group of this.packed) {
        if (this.inPlace(group)) this.updateInPlace(group, grads, steps);
        else this.updateGroup(group, grads, { steps, lr });
      }
      return;
    }
    const ops = this.compositeOps(lr);
    if (this.packed.length > 0) for (const group of this.packed) this.updateGroup(group, grads, ops);
    else {
      for (const [name, g] of grads) {
        tf.tidy(() => {
          const p = this.params.get(name)!;
          const [m, v] = [this.m.get(name)!, this.v.get(name)!];
          const [m1, v1] = ops.moments(m, v, g);
          const p1 = ops.param(p, m1, v1, this.decays(name) && this.weightDecay > 0);
          m.assign(m1);
          v.assign(v1);
          p.assign(p1);
        });
      }
    }
    ops.dispose();
  }

  private checkGrads(grads: Map<string, tf.Tensor>): void {
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new Error(`AdamW: gradient for unknown parameter ${name}`);
      if (!sameShape(p.shape, g.shape)) throw new Error(`AdamW: gradient for ${name} has shape [${g.shape}], the parameter [${p.shape}]`);
    }
  }

  /** Whether a group can be updated in place: nothing else shares its parameters' or moments' data. */
  private inPlace(group: PackedGroup): boolean {
    return soleOwner(group.mv) && group.names.every((n) => soleOwner(this.params.get(n)!));
  }

  /** A group's update in place (webgpu): two kernels per parameter with a gradient; no tensors made. */
  private updateInPlace(group: PackedGroup, grads: Map<string, tf.Tensor>, steps: tf.Tensor): void {
    const { beta1: b1, beta2: b2 } = this;
    const attrs = { b1, nb1: 1 - b1, b2, nb2: 1 - b2, eps: this.eps, decay: group.decays && this.weightDecay > 0 ? this.weightDecay : 0 };
    group.names.forEach((name, i) => {
      const g = grads.get(name);
      if (!g) return;
      const p = this.params.get(name)!;
      adamInPlace(p, group.mv, g, steps, group.offsets[i]!, group.n, attrs);
      markWrittenOnDevice(p);
    });
    markWrittenOnDevice(group.mv);
  }

  /**
   * AdamW's arithmetic as tfjs ops for the current step (t already advanced), with its constants as
   * tensors made once, not once per parameter: on a GPU each is an upload (tfjs turns a number
   * operand into a new scalar tensor at every op). Same float32 values. The caller disposes them
   * (or a surrounding tf.tidy does).
   */
  private compositeOps(lr: number): UpdateOps & { dispose(): void } {
    const { beta1: b1, beta2: b2 } = this;
    const c = tf.tidy(() => ({ b1: tf.scalar(b1), nb1: tf.scalar(1 - b1), b2: tf.scalar(b2), nb2: tf.scalar(1 - b2), bc1: tf.scalar(1 - b1 ** this.t), bc2: tf.scalar(1 - b2 ** this.t), eps: tf.scalar(this.eps), lr: tf.scalar(lr), decay: tf.scalar(this.weightDecay) }));
    return {
      moments: (m, v, g) => [tf.add(tf.mul(c.b1, m), tf.mul(c.nb1, g)), tf.add(tf.mul(c.b2, v), tf.mul(c.nb2, tf.square(g)))],
      param: (p, m1, v1, decays) => {
        const u = tf.div(tf.div(m1, c.bc1), tf.add(tf.sqrt(tf.div(v1, c.bc2)), c.eps)); // m̂ / (√v̂ + ε)
        return tf.sub(p, tf.mul(c.lr, decays ? tf.add(u, tf.mul(c.decay, p)) : u));
      },
      lr,
      dispose: () => tf.dispose(Object.values(c)),
    };
  }

  /**
   * A packed group's update: with the fused kernels (`steps` given) or with `ops` composed of tfjs
   * ops, the same arithmetic on the group's concatenation. Parameters without a gradient keep their
   * values and moments.
   */
  private updateGroup(group: PackedGroup, grads: Map<string, tf.Tensor>, how: UpdateOps | { steps: tf.Tensor; lr: number }): void {
    const decays = group.decays && this.weightDecay > 0;
    const covered = group.names.filter((n) => grads.has(n)).length;
    if (covered === 0) return;
    tf.tidy(() => {
      const n = group.n;
      if (covered < group.names.length) {
        // Some parameters have no gradient: update the others one by one (tfjs ops), leaving theirs alone.
        const ops = 'moments' in how ? how : this.compositeOps(how.lr);
        const ms: tf.Tensor[] = [];
        const vs: tf.Tensor[] = [];
        group.names.forEach((name, i) => {
          const [o, k] = [group.offsets[i]!, group.sizes[i]!];
          const [m, v] = [tf.slice(group.mv, [o], [k]), tf.slice(group.mv, [n + o], [k])];
          const g = grads.get(name);
          if (!g) return void (ms.push(m), vs.push(v));
          const p = this.params.get(name)!;
          const [m1, v1] = ops.moments(m, v, g.reshape([-1]));
          ms.push(m1);
          vs.push(v1);
          p.assign(ops.param(p, m1.reshape(p.shape), v1.reshape(p.shape), decays));
        });
        group.mv.assign(tf.concat([...ms, ...vs]));
        return;
      }
      const flat = (ts: tf.Tensor[]): tf.Tensor => (ts.length === 1 ? ts[0]!.reshape([-1]) : tf.concat(ts.map((t) => t.reshape([-1]))));
      const g = flat(group.names.map((name) => grads.get(name)!));
      const p = flat(group.names.map((name) => this.params.get(name)!));
      let mv1: tf.Tensor;
      let p1: tf.Tensor;
      if ('steps' in how) {
        const { beta1: b1, beta2: b2 } = this;
        mv1 = tf.engine().runKernel(ADAM_MOMENTS, { mv: group.mv, g }, { b1, nb1: 1 - b1, b2, nb2: 1 - b2 } as unknown as tf.NamedAttrMap) as tf.Tensor;
        p1 = tf.engine().runKernel(ADAM_PARAM, { p, mv: mv1, s: how.steps }, { eps: this.eps, decay: decays ? this.weightDecay : 0 } as unknown as tf.NamedAttrMap) as tf.Tensor;
      } else {
        const [m1, v1] = how.moments(tf.slice(group.mv, [0], [n]), tf.slice(group.mv, [n], [n]), g);
        mv1 = tf.concat([m1, v1]);
        p1 = how.param(p, m1, v1, decays);
      }
      group.mv.assign(mv1);
      const parts = group.names.length === 1 ? [p1] : tf.split(p1, group.sizes);
      group.names.forEach((name, i) => {
        const v = this.params.get(name)!;
        v.assign(parts[i]!.reshape(v.shape));
      });
    });
  }

  /**
   * Packed mode's groups: parameters with the same decay rule, in the model's order, up to
   * FUSE_LIMIT values a group. Fusing pays where every kernel has a fixed cost far above its
   * arithmetic (webgpu: the default there), or when asked.
   */
  private fusedGroups(): string[][] {
    const names = [...this.params.keys()];
    const out: string[][] = [];
    for (const decayed of [true, false]) {
      let size = Infinity;
      for (const n of names.filter((x) => this.decays(x) === decayed)) {
        const p = this.params.get(n)!;
        if (size + p.size > FUSE_LIMIT) {
          out.push([]);
          size = 0;
        }
        out[out.length - 1]!.push(n);
        size += p.size;
      }
    }
    return out;
  }

  /** The tensors a step changes besides the parameters (moments, the step's values): a step graph's state. */
  stateTensors(): tf.Tensor[] {
    return [...this.packed.map((g) => g.mv), ...(this.steps ? [this.steps] : []), ...this.m.values(), ...this.v.values()];
  }

  /** Copies of the step count and moments. */
  async exportState(): Promise<AdamWState> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const g of this.packed) {
      const all = (await g.mv.data()) as Float32Array;
      g.names.forEach((name, i) => {
        const [o, k] = [g.offsets[i]!, g.sizes[i]!];
        m[name] = all.slice(o, o + k);
        v[name] = all.slice(g.n + o, g.n + o + k);
      });
    }
    for (const name of this.m.keys()) {
      m[name] = new Float32Array(await this.m.get(name)!.data());
      v[name] = new Float32Array(await this.v.get(name)!.data());
    }
    return { step: this.t, m, v };
  }

  /** Restore what exportState gave; every parameter must be present with its size. */
  importState(s: AdamWState): void {
    if (!Number.isInteger(s.step) || s.step < 0) throw new RunError(`optimizer state has an invalid step count ${s.step}`);
    for (const [kind, rec] of [['m', s.m], ['v', s.v]] as const) {
      for (const name of Object.keys(rec)) if (!this.params.has(name)) throw new RunError(`optimizer state (${kind}) has a parameter the model lacks: ${name}`, 'was the checkpoint written for another model?');
      for (const [name, p] of this.params) {
        const data = rec[name];
        if (!data) throw new RunError(`optimizer state (${kind}) has no entry for ${name}`, 'was the checkpoint written for another model?');
        if (data.length !== p.size) throw new RunError(`optimizer state (${kind}) for ${name} has ${data.length} values, the parameter ${p.size}`);
      }
    }
    for (const g of this.packed) {
      const all = new Float32Array(2 * g.n);
      g.names.forEach((name, i) => {
        all.set(s.m[name]!, g.offsets[i]!);
        all.set(s.v[name]!, g.n + g.offsets[i]!);
      });
      tf.tidy(() => g.mv.assign(tf.tensor1d(all)));
    }
    for (const [name, p] of this.params) {
      if (this.groupOf.has(name)) continue;
      tf.tidy(() => {
        // Copies: a backend may keep the array it is given, and the caller's must stay theirs.
        this.m.get(name)!.assign(tf.tensor(s.m[name]!.slice(), p.shape, 'float32'));
        this.v.get(name)!.assign(tf.tensor(s.v[name]!.slice(), p.shape, 'float32'));
      });
    }
    this.t = s.step;
  }

  /** Free the moments (the parameters belong to the model). */
  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values(), ...this.packed.map((g) => g.mv)]) x.dispose();
    this.steps?.dispose();
    this.steps = undefined;
    this.m.clear();
    this.v.clear();
    this.packed.length = 0;
    this.groupOf.clear();
  }
}

/**
 * Global L2 norm of all gradients, and the gradients scaled by min(1, maxNorm / (norm + 1e-6))
 * (torch.nn.utils.clip_grad_norm_); maxNorm null leaves them unscaled. The returned tensors are
 * always new (clones when unscaled) and belong to the caller, as do the inputs. A non-finite norm
 * is returned as is with the gradients unscaled: the caller decides whether to skip the step.
 */
export async function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number | null): Promise<{ grads: Map<string, tf.Tensor>; norm: number }> {
  if (maxNorm !== null && !(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  let norm = 0;
  if (grads.size > 0) {
    const t = tf.tidy(() => {
      const parts = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      // On webgpu, pairwise sums: its addN binds one buffer per input, and a device allows only a
      // few (8 by default), so a model's hundreds of gradients would fail there. Elsewhere addN,
      // whose summation order earlier runs (and their recorded results) were computed with.
      if (tf.getBackend() !== 'webgpu') return tf.sqrt(tf.addN(parts));
      return tf.sqrt(pairwiseSum(parts));
    });
    norm = (await t.data())[0]!;
    t.dispose();
  }
  const coef = maxNorm === null ? 1 : Math.min(1, maxNorm / (norm + 1e-6));
  const out = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) out.set(name, coef < 1 ? tf.mul(g, coef) : tf.clone(g));
  return { grads: out, norm };
}

/** Σ of same-shaped tensors by pairwise adds (a fixed order; no addN, whose inputs each take a binding). */
export function pairwiseSum(parts: tf.Tensor[]): tf.Tensor {
  while (parts.length > 1) parts = parts.map((x, i) => (i % 2 === 0 ? (i + 1 < parts.length ? tf.add(x, parts[i + 1]!) : x) : null)).filter((x): x is tf.Tensor => x !== null);
  return parts[0]!;
}

export interface LrConfig {
  lr: number;
  lr_schedule: 'constant' | 'cosine' | 'linear';
  warmup: number;
  /** Floor of the decay as a fraction of lr. */
  min_lr: number;
}

/**
 * Learning rate for the update with 0-based index `step` out of `total` in the stage:
 * - warm-up, step < warmup: lr·(step + 1)/warmup (lr/warmup first, lr at step warmup − 1);
 * - then constant lr, or a decay from lr at step = warmup to min_lr·lr at step = total:
 *   cosine: floor + (lr − floor)·½(1 + cos(π·u)), linear: floor + (lr − floor)·(1 − u),
 *   with u = (step − warmup)/(total − warmup) clamped to [0, 1] and floor = min_lr·lr.
 */
export function lrAt(step: number, total: number, cfg: LrConfig): number {
  const { lr, warmup } = cfg;
  if (step < warmup) return (lr * (step + 1)) / warmup;
  if (cfg.lr_schedule === 'constant') return lr;
  const floor = cfg.min_lr * lr;
  const u = Math.min(1, Math.max(0, (step - warmup) / Math.max(1, total - warmup)));
  const shape = cfg.lr_schedule === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * u)) : 1 - u;
  return floor + (lr - floor) * shape;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
