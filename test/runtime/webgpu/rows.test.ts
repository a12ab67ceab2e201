// The row kernels of the fused blocks (src/runtime/webgpu/kernels/rows.ts) against the tfjs op
// chains they replace, on the webgpu backend: rows shorter and longer than a workgroup, a row count
// that is no multiple of anything, a per-batch and a shared mask, a fully masked row; and rotary
// embedding's backward as the exact adjoint of its forward. Runs on the software device
// (SIRIC_WEBGPU_ADAPTER=gles) where Mesa's GL is installed; skipped with the reason elsewhere.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useWebgpu } from '../../helpers/webgpu.js';
import { MASKED_SOFTMAX, RMS_INV, RMS_NORM_DX, ROPE, SOFTMAX_DX, SWIGLU, SWIGLU_DX } from '../../../src/runtime/webgpu/kernels/rows.js';
import { PICK, TOKEN_LOGP, TOKEN_LOGP_DX } from '../../../src/runtime/webgpu/kernels/vocab.js';
import { Rng } from '../../../src/runtime/rng.js';
import { targetLogProbs, tokenLogProbs } from '../../../src/runtime/rl/loss.js';

const webgpu = useWebgpu();

const rng = new Rng(21);
const rand = (shape: number[], scale = 1): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale), shape);
const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number | boolean> = {}): tf.Tensor => tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

async function close(got: tf.Tensor, want: tf.Tensor, tol = 1e-5): Promise<void> {
  expect(got.shape).toEqual(want.shape);
  const [g, w] = [(await got.data()) as Float32Array, (await want.data()) as Float32Array];
  let d = 0;
  let s = 1e-20;
  for (let i = 0; i < w.length; i++) {
    d = Math.max(d, Math.abs(g[i]! - w[i]!));
    s = Math.max(s, Math.abs(w[i]!));
  }
  expect(d / s).toBeLessThan(tol);
}

describe('webgpu row kernels', () => {
  for (const [rows, cols] of [
    [7, 5],
    [130, 64],
    [3, 200],
  ] as const) {
    it(`RMSNorm's 1/√(mean(x²)+ε) and input gradient, ${rows} rows of ${cols}`, async (ctx) => {
      if (webgpu.unavailable()) return ctx.skip(`no WebGPU device: ${webgpu.unavailable()}`);
      const eps = 1e-6;
      const [x, w, dy] = [rand([rows, cols]), rand([cols]), rand([rows, cols])];
      const r = run(RMS_INV, { x }, { eps });
      await close(r, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps)));
      const xr = tf.mul(x, r);
      const g = tf.mul(dy, w);
      await close(run(RMS_NORM_DX, { dy, xr, w, r }), tf.mul(r, tf.sub(g, tf.mul(xr, tf.mean(tf.mul(g, xr), -1, true)))));
      // and it is the gradient of x·r·w (autodiff of the composite)
      const auto = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mul(tf.mul(t, tf.rsqrt(tf.add(tf.mean(tf.square(t), -1, true), eps))), w), dy)))(x);
      await close(run(RMS_NORM_DX, { dy, xr, w, r }), auto, 1e-4);
    });
  }

  it('rotary embedding forward equals x·cos + rot(x)·sin, and backward is its adjoint', async (ctx) => {
    if (webgpu.unavailable()) return ctx.skip(`no WebGPU device: ${webgpu.unavailable()}`);
    const [B, n, T, hd] = [2, 3, 5, 8];
    const x = rand([B, n, T, hd]);
    const cos = rand([B, 1, T, hd]);
    const sin = rand([B, 1, T, hd]);
    const rot = (t: tf.Tensor): tf.Tensor => {
      const [a, b] = tf.split(t, 2, 3);
      return tf.concat([b!, a!], 3);
    };
    const y = run(ROPE, { x, cos, sin }, { backward: false });
    await close(y, tf.add(tf.mul(x, cos), tf.mul(rot(x), sin)));
    // <rope(x), u> = <x, ropeᵀ(u)> for any u
    const u = rand([B, n, T, hd]);
    const lhs = (await tf.sum(tf.mul(y, u)).data())[0]!;
    const rhs = (await tf.sum(tf.mul(x, run(ROPE, { x: u, cos, sin }, { backward: true }))).data())[0]!;
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.abs(lhs) + 1e-5);
    // From a linear layer's rows [B·T, n·hd], with the heads' transpose folded in, both ways.
    const rows = tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, n * hd]);
    await close(run(ROPE, { x: rows, cos, sin }, { backward: false, layout: 'rowsToHeads' as unknown as number, heads: n }), y, 1e-6);
    const back = run(ROPE, { x: u, cos, sin }, { backward: true, layout: 'headsToRows' as unknown as number, heads: n });
    await close(back, tf.reshape(tf.transpose(run(ROPE, { x: u, cos, sin }, { backward: true }), [0, 2, 1, 3]), [B * T, n * hd]), 1e-6);
  });

  for (const perBatch of [false, true]) {
    it(`masked softmax and its gradient, ${perBatch ? 'a mask per batch row' : 'one mask for all'}, with a fully masked row`, async (ctx) => {
      if (webgpu.unavailable()) return ctx.skip(`no WebGPU device: ${webgpu.unavailable()}`);
      const [B, G, g, T, S] = [2, 2, 2, 3, 70];
      const scale = 0.3;
      const x = rand([B, G, g * T, S], 3);
      const m = new Float32Array((perBatch ? B : 1) * T * S);
      for (let i = 0; i < m.length; i++) m[i] = (i * 7919) % 5 === 0 ? -1e9 : 0;
      for (let s = 0; s < S; s++) m[S + s] = -1e9; // row t = 1 (of the first mask) sees nothing
      const mask = tf.tensor4d(m, [perBatch ? B : 1, 1, T, S]);
      const p = run(MASKED_SOFTMAX, { x, mask }, { scale });
      const want = tf.reshape(tf.softmax(tf.reshape(tf.add(tf.reshape(tf.mul(x, scale), [B, G, g, T, S]), tf.reshape(mask, [mask.shape[0], 1, 1, T, S])), [B, G, g * T, S])), [B, G, g * T, S]);
      await close(p, want);
      const dp = rand([B, G, g * T, S]);
      const dpp = tf.mul(dp, p);
      await close(run(SOFTMAX_DX, { dp, p }, { scale }), tf.mul(tf.sub(dpp, tf.mul(tf.sum(dpp, -1, true), p)), scale));
    });
  }

  for (const [rows, V] of [
    [9, 70],
    [4, 5],
  ] as const) {
    it(`token log-prob and entropy of softmax(x/0.7) and their gradients, ${rows} rows of ${V}`, async (ctx) => {
      if (webgpu.unavailable()) return ctx.skip(`no WebGPU device: ${webgpu.unavailable()}`);
      const temperature = 0.7;
      const x = rand([rows, V], 4);
      const tg = tf.tensor1d(Int32Array.from({ length: rows }, () => rng.int(V)), 'int32');
      const dy = rand([rows]);
      const logpOf = (t: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.logSoftmax(tf.div(t, temperature)), tf.oneHot(tg, V)), -1);
      const entropyOf = (t: tf.Tensor): tf.Tensor => {
        const lp = tf.logSoftmax(tf.div(t, temperature));
        return tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), -1));
      };
      for (const [entropy, of] of [
        [false, logpOf],
        [true, entropyOf],
      ] as const) {
        const attrs = { temperature, entropy };
        await close(run(TOKEN_LOGP, { x, tg }, attrs), of(x), 2e-5);
        await close(run(TOKEN_LOGP_DX, { dy, x, tg }, attrs), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(of(t), dy)))(x), 2e-4);
      }
    });
  }

  it('SwiGLU g·σ(g)·u and both gradients against autodiff of the composite', async (ctx) => {
    if (webgpu.unavailable()) return ctx.skip(`no WebGPU device: ${webgpu.unavailable()}`);
    const [g, u, dy] = [rand([37, 11], 3), rand([37, 11]), rand([37, 11])];
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.mul(tf.mul(a, tf.sigmoid(a)), b);
    await close(run(SWIGLU, { g, u }), f(g, u));
    const [dg, du] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([g, u]);
    await close(run(SWIGLU_DX, { dy, g, u }, { wrt: 0 }), dg!, 1e-5);
    await close(run(SWIGLU_DX, { dy, g, u }, { wrt: 1 }), du!, 1e-5);
  });

  it('tokenLogProbs and targetLogProbs on webgpu (the row kernels) give the op chain\'s log-probs and entropies', async (ctx) => {
    if (webgpu.unavailable()) return ctx.skip(`no WebGPU device: ${webgpu.unavailable()}`);
    const [N, T, V] = [3, 4, 19];
    const logits = rand([N, T, V], 2) as tf.Tensor3D;
    const tgt = tf.tensor2d(Int32Array.from({ length: N * T }, () => rng.int(V)), [N, T], 'int32');
    const lp = tf.logSoftmax(tf.div(logits, 0.8));
    const { logp, entropy } = tokenLogProbs(logits, tgt, 0.8);
    await close(logp, tf.sum(tf.mul(lp, tf.oneHot(tgt, V)), -1), 2e-5);
    await close(entropy, tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), -1)), 2e-5);
    await close(targetLogProbs(logits, tgt, 0.8), logp, 1e-7);
  });

  for (const [B, V] of [
    [7, 300],
    [5, 10],
  ] as const) {
    it(`picks each row's token and log-prob as the sampler's reference does, greedy and by inverse CDF, ${B} rows of ${V}`, async (ctx) => {
      if (webgpu.unavailable()) return ctx.skip(`no WebGPU device: ${webgpu.unavailable()}`);
      const temperature = 0.8;
      const x = rand([B, V], 2);
      const xs = (await x.data()) as Float32Array;
      xs[3] = xs[V - 1] = Math.max(...xs.subarray(0, V)) + 1; // a tie for the maximum in row 0: the first wins
      const logits = tf.tensor2d(xs, [B, V]);
      const u = Float32Array.from({ length: B }, () => rng.float());
      for (const greedy of [true, false]) {
        const T = greedy ? 1 : temperature;
        const got = (await run(PICK, { x: logits, u: tf.tensor1d(u) }, { temperature: T, greedy }).data()) as Float32Array;
        for (let b = 0; b < B; b++) {
          const z = Array.from(xs.subarray(b * V, (b + 1) * V), (v) => v / T);
          const m = Math.max(...z);
          const p = z.map((v) => Math.exp(v - m));
          const total = p.reduce((a, c) => a + c, 0);
          const logZ = m + Math.log(total);
          let token = z.indexOf(m);
          if (!greedy) {
            // The first id whose CDF reaches u·total (skipped when u·total sits on a boundary).
            let cdf = 0;
            let near = false;
            token = V - 1;
            for (let i = 0; i < V; i++) {
              cdf += p[i]!;
              near ||= Math.abs(cdf - u[b]! * total) < 1e-5 * total;
              if (cdf >= u[b]! * total) {
                token = i;
                break;
              }
            }
            if (near) continue;
          }
          expect(got[2 * b], `row ${b}`).toBe(token);
          expect(Math.abs(got[2 * b + 1]! - (z[token]! - logZ))).toBeLessThan(1e-5);
        }
      }
    });
  }
});
