// The transformer's blocks with fewer ops: for training, a whole decoder layer as one
// differentiable op (tf.customGrad) with its backward pass written out; for sampling, RMSNorm,
// rotary embedding, attention and SwiGLU forward. They compute the same values as the composite in
// transformer.ts. The backward pass uses fewer ops than tfjs's autodiff of the composite, and
// nothing inside the layer is recorded on the gradient tape, so no saved intermediates are copied.
// Used on webgpu, where every op has a fixed cost far above its arithmetic at these sizes
// (docs/benchmarks.md: a tiny training step spends most of its time on per-op overhead);
// elsewhere the composite stays, whose numbers recorded runs were made with.
//
// Each step below has two forms: one WGSL kernel where the backend has the row kernels
// (webgpu/kernels/rows.ts, webgpu), and the chain of tfjs ops it replaces, which is what runs on
// other backends when a test forces the fused blocks on (the gradients are checked there against
// autodiff of the composite).
import * as tf from '@tensorflow/tfjs';
import { hasRowKernels, MASKED_SOFTMAX, RMS_INV, RMS_NORM_DX, ROPE, SOFTMAX_DX, SWIGLU, SWIGLU_DX } from '../webgpu/kernels/rows.js';

let forced: boolean | undefined;

/** Whether the model uses these blocks: on webgpu, unless a test forces a choice. */
export function useFusedBlocks(): boolean {
  return forced ?? tf.getBackend() === 'webgpu';
}

/** Tests: force the fused blocks on or off (undefined: back to the default). */
export function setFusedBlocks(on: boolean | undefined): void {
  forced = on;
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number | boolean | string> = {}): tf.Tensor => tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

type Grad = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
const custom = (f: (...args: tf.Tensor[]) => { value: tf.Tensor; gradFunc: Grad }): ((...args: tf.Tensor[]) => tf.Tensor) => tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: tf.Tensor[]) => tf.Tensor;

// ---------- steps (a kernel, or the op chain it replaces) ----------

/** 1/√(mean(x²) + ε) over the last axis, keeping it as 1. */
function rmsInv(x: tf.Tensor, eps: number): tf.Tensor {
  return hasRowKernels() ? run(RMS_INV, { x }, { eps }) : tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps));
}

/** RMSNorm's input gradient: with g = dy·w, r·(g − xr·mean(g·xr)). */
function rmsNormDx(dy: tf.Tensor, xr: tf.Tensor, w: tf.Tensor, r: tf.Tensor): tf.Tensor {
  if (hasRowKernels()) return run(RMS_NORM_DX, { dy, xr, w, r });
  const g = tf.mul(dy, w);
  return tf.mul(r, tf.sub(g, tf.mul(xr, tf.mean(tf.mul(g, xr), -1, true))));
}

/** Σ over rows of a·b, for a [..., D]: a weight's gradient. */
const rowSum = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.reshape(tf.mul(a, b), [-1, a.shape[a.rank - 1]!]), 0);

/** [a, b] → [b, a] along the last axis. */
function rotateHalf(t: tf.Tensor): tf.Tensor {
  const [a, b] = tf.split(t, 2, -1);
  return tf.concat([b!, a!], -1);
}

/** [B·T, n·hd] rows → [B, n, T, hd] heads, and back. */
const toHeads = (x: tf.Tensor, B: number, T: number, n: number, hd: number): tf.Tensor => tf.transpose(tf.reshape(x, [B, T, n, hd]), [0, 2, 1, 3]);
const toRows = (x: tf.Tensor, B: number, T: number, n: number, hd: number): tf.Tensor => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, n * hd]);

/** Rotary embedding of rows [B·T, n·hd] into heads [B, n, T, hd]: x·cos + rot(x)·sin. */
function ropeForward(x: tf.Tensor, n: number, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor {
  if (hasRowKernels()) return run(ROPE, { x, cos, sin }, { backward: false, layout: 'rowsToHeads', heads: n });
  const [B, , T, hd] = cos.shape;
  const h = toHeads(x, B, T, n, hd);
  return tf.add(tf.mul(h, cos), tf.mul(rotateHalf(h), sin));
}

/** Its gradient, heads [B, n, T, hd] → rows: dy·cos + rot(dy·sin) (rot is its own transpose). */
function ropeBackward(dy: tf.Tensor, n: number, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor {
  if (hasRowKernels()) return run(ROPE, { x: dy, cos, sin }, { backward: true, layout: 'headsToRows', heads: n });
  const [B, , T, hd] = cos.shape;
  return toRows(tf.add(tf.mul(dy, cos), rotateHalf(tf.mul(dy, sin))), B, T, n, hd);
}

/** softmax(s·scale + mask) over the last axis; s [B, Hkv, g·T, S], mask [1|B, 1, T, S]. */
function maskedSoftmax(s: tf.Tensor, mask: tf.Tensor4D, scale: number): tf.Tensor {
  if (hasRowKernels()) return run(MASKED_SOFTMAX, { x: s, mask }, { scale });
  const [B, Hkv, R, S] = s.shape as [number, number, number, number];
  const T = mask.shape[2];
  const g = R / T;
  const scores = tf.add(tf.reshape(tf.mul(s, scale), [B, Hkv, g, T, S]), tf.reshape(mask, [mask.shape[0], 1, 1, T, S]));
  return tf.softmax(tf.reshape(scores, [B, Hkv, R, S]), -1);
}

/** Its gradient with respect to s: (dp·p − Σ(dp·p)·p)·scale (softmax's gradient as tfjs writes it). */
function maskedSoftmaxDx(dp: tf.Tensor, p: tf.Tensor, scale: number): tf.Tensor {
  if (hasRowKernels()) return run(SOFTMAX_DX, { dp, p }, { scale });
  const dpp = tf.mul(dp, p);
  return tf.mul(tf.sub(dpp, tf.mul(tf.sum(dpp, -1, true), p)), scale);
}

/** SwiGLU's gating g·σ(g)·u. */
function swiglu(g: tf.Tensor, u: tf.Tensor): tf.Tensor {
  return hasRowKernels() ? run(SWIGLU, { g, u }) : tf.mul(tf.mul(g, tf.sigmoid(g)), u);
}

/** Its gradients: dg = dy·u·σ(g)·(1 + g·(1 − σ(g))), du = dy·g·σ(g). */
function swigluDx(dy: tf.Tensor, g: tf.Tensor, u: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (hasRowKernels()) return [run(SWIGLU_DX, { dy, g, u }, { wrt: 0 }), run(SWIGLU_DX, { dy, g, u }, { wrt: 1 })];
  const s = tf.sigmoid(g);
  return [tf.mul(tf.mul(tf.mul(dy, u), s), tf.add(1, tf.mul(g, tf.sub(1, s)))), tf.mul(dy, tf.mul(g, s))];
}

// ---------- blocks, forward only (sampling, evaluation) ----------

/** RMSNorm: x·r·w with r = 1/√(mean(x²) + ε) over the last axis. */
export const rmsNormForward = (x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor => tf.mul(tf.mul(x, rmsInv(x, eps)), w);

/** Rotary embedding of a linear layer's rows [B·T, n·hd], returned as heads [B, n, T, hd]. */
export const ropeRows = (x: tf.Tensor, n: number, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D => ropeForward(x, n, cos, sin) as tf.Tensor4D;

/** SwiGLU's gating, silu(g)·u. */
export const swigluForward = (g: tf.Tensor, u: tf.Tensor): tf.Tensor => swiglu(g, u);

/**
 * Scaled dot-product attention with grouped KV heads, as transformer.ts's `attention`: q [B, H, T, hd],
 * k/v [B, Hkv, S, hd], an additive mask [1 or B, 1, T, S] → [B·T, H·hd]. The query heads of a KV
 * group are folded into the time axis.
 */
export function attentionForward(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D, group: number): tf.Tensor2D {
  const [B, H, T, hd] = q.shape;
  const Hkv = k.shape[1];
  const qg = tf.reshape(q, [B, Hkv, group * T, hd]);
  const p = maskedSoftmax(tf.matMul(qg, k, false, true), mask, 1 / Math.sqrt(hd));
  return toRows(tf.reshape(tf.matMul(p, v), [B, H, T, hd]), B, T, H, hd) as tf.Tensor2D;
}

// ---------- training ----------

/** RMSNorm as one differentiable op (the final norm): dx from rmsNormDx, dw = Σ over rows of dy·x·r. */
export function rmsNormFused(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const f = custom((xi: tf.Tensor, wi: tf.Tensor, save: unknown) => {
    const r = rmsInv(xi, eps);
    const xr = tf.mul(xi, r);
    (save as tf.GradSaveFunc)([xr, r, wi]);
    return { value: tf.mul(xr, wi), gradFunc: (dy, [sxr, sr, sw]) => [rmsNormDx(dy, sxr!, sw!, sr!), rowSum(dy, sxr!)] };
  });
  return f(x, w);
}


/** One layer's parameters, Hugging Face layout ([out, in] weights); biases only in Qwen2's q/k/v. */
export interface LayerParams {
  ln1: tf.Tensor;
  wq: tf.Tensor;
  wk: tf.Tensor;
  wv: tf.Tensor;
  bq?: tf.Tensor;
  bk?: tf.Tensor;
  bv?: tf.Tensor;
  wo: tf.Tensor;
  ln2: tf.Tensor;
  wg: tf.Tensor;
  wu: tf.Tensor;
  wd: tf.Tensor;
}

export interface LayerShape {
  B: number;
  T: number;
  H: number;
  Hkv: number;
  hd: number;
  eps: number;
}

/**
 * A whole decoder layer, x [B·T, D] → x + attention + MLP, as one op, for a training forward pass
 * (no KV cache). Its backward pass is written out: the layer's ops leave no tape nodes and no
 * saved copies, and each weight's gradient is one product.
 */
export function decoderLayerFused(x: tf.Tensor2D, w: LayerParams, s: LayerShape, cos: tf.Tensor4D, sin: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor2D {
  const { B, T, H, Hkv, hd, eps } = s;
  const g = H / Hkv;
  const scale = 1 / Math.sqrt(hd);
  const N = B * T;
  const biases = w.bq && w.bk && w.bv ? [w.bq, w.bk, w.bv] : [];
  const inputs = [x, w.ln1, w.wq, w.wk, w.wv, w.wo, w.ln2, w.wg, w.wu, w.wd, ...biases];
  const lin = (a: tf.Tensor, wt: tf.Tensor, b?: tf.Tensor): tf.Tensor => (b ? tf.add(tf.matMul(a, wt, false, true), b) : tf.matMul(a, wt, false, true));
  const f = custom((...args: tf.Tensor[]) => {
    const save = args.pop() as unknown as tf.GradSaveFunc;
    const [xi, ln1, wq, wk, wv, wo, ln2, wg, wu, wd, bq, bk, bv] = args as [tf.Tensor, ...tf.Tensor[]];
    // Attention.
    const r1 = rmsInv(xi, eps);
    const xr1 = tf.mul(xi, r1);
    const h = tf.mul(xr1, ln1!);
    const q = ropeForward(lin(h, wq!, bq), H, cos, sin); // [B, H, T, hd]
    const k = ropeForward(lin(h, wk!, bk), Hkv, cos, sin); // [B, Hkv, T, hd]
    const v = toHeads(lin(h, wv!, bv), B, T, Hkv, hd);
    const qg = tf.reshape(q, [B, Hkv, g * T, hd]);
    const p = maskedSoftmax(tf.matMul(qg, k, false, true), mask, scale);
    const att = toRows(tf.reshape(tf.matMul(p, v), [B, H, T, hd]), B, T, H, hd); // [N, H·hd]
    const x1 = tf.add(xi, tf.matMul(att, wo!, false, true));
    // MLP.
    const r2 = rmsInv(x1, eps);
    const xr2 = tf.mul(x1, r2);
    const h2 = tf.mul(xr2, ln2!);
    const gate = tf.matMul(h2, wg!, false, true);
    const up = tf.matMul(h2, wu!, false, true);
    const act = swiglu(gate, up);
    save([r1, xr1, h, qg, k, v, p, att, r2, xr2, h2, gate, up, act]);
    return {
      value: tf.add(x1, tf.matMul(act, wd!, false, true)),
      gradFunc: (dy, saved) => {
        const [sr1, sxr1, sh, sqg, sk, sv, sp, satt, sr2, sxr2, sh2, sgate, sup, sact] = saved as tf.Tensor[];
        // MLP, backward.
        const dAct = tf.matMul(dy, wd!);
        const dWd = tf.matMul(dy, sact!, true, false);
        const [dGate, dUp] = swigluDx(dAct, sgate!, sup!);
        const dWg = tf.matMul(dGate, sh2!, true, false);
        const dWu = tf.matMul(dUp, sh2!, true, false);
        const dH2 = tf.add(tf.matMul(dGate, wg!), tf.matMul(dUp, wu!));
        const dLn2 = rowSum(dH2, sxr2!);
        const dx1 = tf.add(dy, rmsNormDx(dH2, sxr2!, ln2!, sr2!));
        // Attention, backward.
        const dAtt = tf.matMul(dx1, wo!);
        const dWo = tf.matMul(dx1, satt!, true, false);
        const dO = tf.reshape(toHeads(dAtt, B, T, H, hd), [B, Hkv, g * T, hd]);
        const dV = tf.matMul(sp!, dO, true, false);
        const dS = maskedSoftmaxDx(tf.matMul(dO, sv!, false, true), sp!, scale);
        const dQ = tf.reshape(tf.matMul(dS, sk!), [B, H, T, hd]);
        const dK = tf.matMul(dS, sqg!, true, false);
        const dq = ropeBackward(dQ, H, cos, sin); // [N, H·hd]
        const dk = ropeBackward(dK, Hkv, cos, sin);
        const dv = toRows(dV, B, T, Hkv, hd);
        const dH = tf.add(tf.add(tf.matMul(dq, wq!), tf.matMul(dk, wk!)), tf.matMul(dv, wv!));
        const dLn1 = rowSum(dH, sxr1!);
        const dx = tf.add(dx1, rmsNormDx(dH, sxr1!, ln1!, sr1!));
        const grads = [dx, dLn1, tf.matMul(dq, sh!, true, false), tf.matMul(dk, sh!, true, false), tf.matMul(dv, sh!, true, false), dWo, dLn2, dWg, dWu, dWd];
        if (bq) grads.push(tf.sum(dq, 0), tf.sum(dk, 0), tf.sum(dv, 0));
        return grads;
      },
    };
  });
  if (x.shape[0] !== N) throw new Error(`decoderLayerFused: ${x.shape[0]} rows for B·T = ${N}`);
  return f(...inputs) as tf.Tensor2D;
}
