// The transformer's blocks as single differentiable ops (tf.customGrad) with hand-written
// gradients: RMSNorm, rotary embedding, attention and SwiGLU. The forward pass computes the same
// values as the composite in transformer.ts, op for op; the backward pass uses fewer ops than
// tfjs's autodiff of that composite, and nothing inside a block is recorded on the gradient tape,
// so no saved intermediates are copied. Used on webgpu, where every op has a fixed cost far above
// its arithmetic at these sizes (docs/benchmarks.md: a tiny training step spends most of its time
// on per-op overhead); elsewhere the composite stays, whose numbers recorded runs were made with.
// Where the backend has them (webgpu), chains of ops inside the blocks run as single WGSL kernels
// (kernels/webgpu-rows.ts): 1/√(mean(x²) + ε), RMSNorm's input gradient, rotary embedding both
// ways, the scaled, masked softmax and its gradient, SwiGLU and its gradients.
import * as tf from '@tensorflow/tfjs';
import { hasRowKernels, MASKED_SOFTMAX, RMS_INV, RMS_NORM_DX, ROPE, SOFTMAX_DX, SWIGLU, SWIGLU_DX } from '../kernels/webgpu-rows.js';

let forced: boolean | undefined;

/** Whether the model uses these blocks: on webgpu, unless a test forces a choice. */
export function useFusedBlocks(): boolean {
  return forced ?? tf.getBackend() === 'webgpu';
}

/** Tests: force the fused blocks on or off (undefined: back to the default). */
export function setFusedBlocks(on: boolean | undefined): void {
  forced = on;
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number | boolean> = {}): tf.Tensor => tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

type Grad = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
const custom = (f: (...args: tf.Tensor[]) => { value: tf.Tensor; gradFunc: Grad }): ((...args: tf.Tensor[]) => tf.Tensor) => tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: tf.Tensor[]) => tf.Tensor;

/**
 * RMSNorm: y = x·r·w with r = 1/√(mean(x²) + ε) over the last axis. With xr = x·r and g = dy·w:
 * dx = r·(g − xr·mean(g·xr)), dw = Σ over rows of dy·xr.
 */
export function rmsNormFused(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const kernels = hasRowKernels();
  const f = custom((xi: tf.Tensor, wi: tf.Tensor, save: unknown) => {
    const r = kernels ? run(RMS_INV, { x: xi }, { eps }) : tf.rsqrt(tf.add(tf.mean(tf.square(xi), -1, true), eps));
    const xr = tf.mul(xi, r);
    (save as tf.GradSaveFunc)([xr, r, wi]);
    return {
      value: tf.mul(xr, wi),
      gradFunc: (dy, [sxr, sr, sw]) => {
        let dx: tf.Tensor;
        if (kernels) dx = run(RMS_NORM_DX, { dy, xr: sxr!, w: sw!, r: sr! });
        else {
          const g = tf.mul(dy, sw!);
          dx = tf.mul(sr!, tf.sub(g, tf.mul(sxr!, tf.mean(tf.mul(g, sxr!), -1, true))));
        }
        const D = sw!.shape[0]!;
        const dw = tf.sum(tf.reshape(tf.mul(dy, sxr!), [-1, D]), 0);
        return [dx, dw];
      },
    };
  });
  return f(x, w);
}

/**
 * SwiGLU's gating, silu(g)·u = g·σ(g)·u, with du = dy·g·σ(g) and dg = dy·u·σ(g)·(1 + g·(1 − σ(g))).
 */
export function swigluFused(g: tf.Tensor, u: tf.Tensor): tf.Tensor {
  const kernels = hasRowKernels();
  const f = custom((gi: tf.Tensor, ui: tf.Tensor, save: unknown) => {
    (save as tf.GradSaveFunc)([gi, ui]);
    return {
      value: kernels ? run(SWIGLU, { g: gi, u: ui }) : tf.mul(tf.mul(gi, tf.sigmoid(gi)), ui),
      gradFunc: (dy, [sg, su]) => {
        if (kernels) return [run(SWIGLU_DX, { dy, g: sg!, u: su! }, { wrt: 0 }), run(SWIGLU_DX, { dy, g: sg!, u: su! }, { wrt: 1 })];
        const s = tf.sigmoid(sg!);
        const du = tf.mul(dy, tf.mul(sg!, s));
        const dg = tf.mul(tf.mul(tf.mul(dy, su!), s), tf.add(1, tf.mul(sg!, tf.sub(1, s))));
        return [dg, du];
      },
    };
  });
  return f(g, u);
}

/**
 * Rotary embedding in rotate-half form: y = x·cos + rot(x)·sin, rot([x1, x2]) = [x2, x1]. rot is
 * its own transpose, so dx = dy·cos + rot(dy·sin). cos and sin are constants.
 */
export function ropeFused(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const rot = (t: tf.Tensor): tf.Tensor => {
    const [a, b] = tf.split(t, 2, 3);
    return tf.concat([b!, a!], 3);
  };
  const f = hasRowKernels()
    ? custom((xi: tf.Tensor) => ({ value: run(ROPE, { x: xi, cos, sin }, { backward: false }), gradFunc: (dy) => run(ROPE, { x: dy, cos, sin }, { backward: true }) }))
    : custom((xi: tf.Tensor) => ({
        value: tf.add(tf.mul(xi, cos), tf.mul(rot(xi), sin)),
        gradFunc: (dy) => tf.add(tf.mul(dy, cos), rot(tf.mul(dy, sin))),
      }));
  return f(x) as tf.Tensor4D;
}

/**
 * Rotary embedding of a linear layer's output rows [B·T, n·hd], returned as heads [B, n, T, hd]:
 * ropeFused of the heads' transpose, with the transpose done inside the kernel both ways where the
 * backend has the row kernels.
 */
export function ropeRowsFused(x: tf.Tensor2D, n: number, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const [B, , T, hd] = cos.shape;
  if (!hasRowKernels()) return ropeFused(x.reshape([B, T, n, hd]).transpose([0, 2, 1, 3]) as tf.Tensor4D, cos, sin);
  const f = custom((xi: tf.Tensor) => ({
    value: run(ROPE, { x: xi, cos, sin }, { backward: false, layout: 'rowsToHeads' as unknown as number, heads: n }),
    gradFunc: (dy) => run(ROPE, { x: dy, cos, sin }, { backward: true, layout: 'headsToRows' as unknown as number, heads: n }),
  }));
  return f(x) as tf.Tensor4D;
}

/**
 * Scaled dot-product attention with grouped KV heads, as transformer.ts's `attention`: q [B, H, T, hd],
 * k/v [B, Hkv, S, hd], an additive mask [1 or B, 1, T, S] → [B·T, H·hd]. The query heads of a KV
 * group are folded into the time axis. Backward, with P the probabilities and dO the output's
 * gradient in the folded layout: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = (dP·P − Σ(dP·P)·P)·scale (softmax's
 * gradient as tfjs writes it), dQ = dS·K, dK = dSᵀ·Q.
 */
export function attentionFused(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D, group: number): tf.Tensor2D {
  const [B, H, T, hd] = q.shape;
  const Hkv = k.shape[1];
  const S = k.shape[2];
  const scale = 1 / Math.sqrt(hd);
  const kernels = hasRowKernels();
  const f = custom((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: unknown) => {
    const qg = tf.reshape(qi, [B, Hkv, group * T, hd]);
    let p: tf.Tensor;
    if (kernels) p = run(MASKED_SOFTMAX, { x: tf.matMul(qg, ki, false, true), mask }, { scale });
    else {
      let scores = tf.mul(tf.matMul(qg, ki, false, true), scale); // [B, Hkv, group*T, S]
      scores = tf.reshape(tf.add(tf.reshape(scores, [B, Hkv, group, T, S]), tf.reshape(mask, [mask.shape[0], 1, 1, T, S])), [B, Hkv, group * T, S]);
      p = tf.softmax(scores, -1);
    }
    (save as tf.GradSaveFunc)([qg, ki, vi, p]);
    const out = tf.matMul(p, vi); // [B, Hkv, group*T, hd]
    return {
      value: tf.reshape(tf.transpose(tf.reshape(out, [B, H, T, hd]), [0, 2, 1, 3]), [B * T, H * hd]),
      gradFunc: (dy, [sq, sk, sv, sp]) => {
        const dO = tf.reshape(tf.transpose(tf.reshape(dy, [B, T, H, hd]), [0, 2, 1, 3]), [B, Hkv, group * T, hd]);
        const dV = tf.matMul(sp!, dO, true, false);
        const dP = tf.matMul(dO, sv!, false, true);
        let dS: tf.Tensor;
        if (kernels) dS = run(SOFTMAX_DX, { dp: dP, p: sp! }, { scale });
        else {
          const dPP = tf.mul(dP, sp!);
          dS = tf.mul(tf.sub(dPP, tf.mul(tf.sum(dPP, -1, true), sp!)), scale);
        }
        const dQ = tf.reshape(tf.matMul(dS, sk!), [B, H, T, hd]);
        const dK = tf.matMul(dS, sq!, true, false);
        return [dQ, dK, dV];
      },
    };
  });
  return f(q, k, v) as tf.Tensor2D;
}
