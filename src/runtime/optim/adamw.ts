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
  /** Update parameters in flat groups (same numbers, fewer kernels); default: on webgpu only. */
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

export class AdamW {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly fuse: boolean | undefined;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;

  /** `params`: parameter name → variable (the model's own map; updated in place). */
  constructor(
    private readonly params: Map<string, tf.Variable>,
    cfg: AdamWConfig = {},
  ) {
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.eps = cfg.eps ?? 1e-8;
    this.weightDecay = cfg.weightDecay ?? 0.01;
    this.fuse = cfg.fuse;
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
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new Error(`AdamW: gradient for unknown parameter ${name}`);
      if (!sameShape(p.shape, g.shape)) throw new Error(`AdamW: gradient for ${name} has shape [${g.shape}], the parameter [${p.shape}]`);
    }
    this.t += 1;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    // The step's constants as tensors made once, not once per parameter: on a GPU each is an upload
    // (tfjs turns a number operand into a new scalar tensor at every op). Same float32 values.
    const c = tf.tidy(() => ({ b1: tf.scalar(b1), nb1: tf.scalar(1 - b1), b2: tf.scalar(b2), nb2: tf.scalar(1 - b2), bc1: tf.scalar(bc1), bc2: tf.scalar(bc2), eps: tf.scalar(eps), lr: tf.scalar(lr), decay: tf.scalar(this.weightDecay) }));
    const update = (p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, decays: boolean): [tf.Tensor, tf.Tensor, tf.Tensor] => {
      const m1 = tf.add(tf.mul(c.b1, m), tf.mul(c.nb1, g));
      const v1 = tf.add(tf.mul(c.b2, v), tf.mul(c.nb2, tf.square(g)));
      const u = tf.div(tf.div(m1, c.bc1), tf.add(tf.sqrt(tf.div(v1, c.bc2)), c.eps)); // m̂ / (√v̂ + ε)
      const step = decays ? tf.add(u, tf.mul(c.decay, p)) : u;
      return [tf.sub(p, tf.mul(c.lr, step)), m1, v1];
    };
    for (const group of this.groups(grads)) {
      const decays = this.decays(group[0]!) && this.weightDecay > 0;
      tf.tidy(() => {
        const ps = group.map((n) => this.params.get(n)!);
        const ms = group.map((n) => this.m.get(n)!);
        const vs = group.map((n) => this.v.get(n)!);
        if (group.length === 1) {
          const [p1, m1, v1] = update(ps[0]!, ms[0]!, vs[0]!, grads.get(group[0]!)!, decays);
          ms[0]!.assign(m1);
          vs[0]!.assign(v1);
          ps[0]!.assign(p1);
          return;
        }
        // Several parameters as one flat tensor: the same elementwise arithmetic, so the same
        // numbers, in about 16 kernels instead of 16 per parameter (plus the copies in and out).
        const flat = (ts: tf.Tensor[]): tf.Tensor => tf.concat(ts.map((t) => t.reshape([-1])));
        const sizes = ps.map((x) => x.size);
        const outs = update(flat(ps), flat(ms), flat(vs), flat(group.map((n) => grads.get(n)!)), decays).map((t) => tf.split(t, sizes));
        group.forEach((_, i) => {
          ms[i]!.assign(outs[1]![i]!.reshape(ms[i]!.shape));
          vs[i]!.assign(outs[2]![i]!.reshape(vs[i]!.shape));
          ps[i]!.assign(outs[0]![i]!.reshape(ps[i]!.shape));
        });
      });
    }
    tf.dispose(Object.values(c));
  }

  /**
   * The parameters updated together: those with the same decay rule, up to FUSE_LIMIT values a
   * group, where fusing pays (webgpu, where every kernel has a fixed cost far above its
   * arithmetic; or when asked); otherwise one group per parameter.
   */
  private groups(grads: Map<string, tf.Tensor>): string[][] {
    const names = [...grads.keys()];
    if (!(this.fuse ?? tf.getBackend() === 'webgpu')) return names.map((n) => [n]);
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

  /** Copies of the step count and moments. */
  async exportState(): Promise<AdamWState> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const name of this.params.keys()) {
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
    for (const [name, p] of this.params) {
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
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
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
      let parts = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      // On webgpu, pairwise sums: its addN binds one buffer per input, and a device allows only a
      // few (8 by default), so a model's hundreds of gradients would fail there. Elsewhere addN,
      // whose summation order earlier runs (and their recorded results) were computed with.
      if (tf.getBackend() !== 'webgpu') return tf.sqrt(tf.addN(parts));
      while (parts.length > 1) parts = parts.map((x, i) => (i % 2 === 0 ? (i + 1 < parts.length ? tf.add(x, parts[i + 1]!) : x) : null)).filter((x): x is tf.Tensor => x !== null);
      return tf.sqrt(parts[0]!);
    });
    norm = (await t.data())[0]!;
    t.dispose();
  }
  const coef = maxNorm === null ? 1 : Math.min(1, maxNorm / (norm + 1e-6));
  const out = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) out.set(name, coef < 1 ? tf.mul(g, coef) : tf.clone(g));
  return { grads: out, norm };
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
