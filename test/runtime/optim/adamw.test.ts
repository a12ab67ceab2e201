// AdamW against a plain float64 reference, checkpoint round-trips, global-norm clipping, lr schedule.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, clipByGlobalNorm, lrAt, type LrConfig } from '../../../src/runtime/optim/adamw.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CFG = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
// W [2, 2] is decayed (rank 2), b [2] is not (rank 1).
const W0 = [1, 2, 3, 4];
const B0 = [0.5, -0.5];
const GRADS: Array<{ W: number[]; b: number[] }> = [
  { W: [0.1, -0.2, 0.3, -0.4], b: [1, -2] },
  { W: [-0.05, 0.1, 0.2, 0], b: [0.5, 0.5] },
  { W: [0.3, 0.3, -0.1, 0.2], b: [-1, 0.25] },
];
const LRS = [0.1, 0.05, 0.02];

/** Textbook AdamW in float64 (PyTorch's form), one parameter tensor as a flat array. */
function reference(p0: number[], grads: number[][], lrs: number[], decay: boolean): number[][] {
  const { beta1: b1, beta2: b2, eps, weightDecay: wd } = CFG;
  let p = p0.slice();
  const m = p0.map(() => 0);
  const v = p0.map(() => 0);
  const trace: number[][] = [];
  grads.forEach((g, k) => {
    const t = k + 1;
    p = p.map((x, i) => {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      return x - lrs[k]! * (mHat / (Math.sqrt(vHat) + eps) + (decay ? wd * x : 0));
    });
    trace.push(p.slice());
  });
  return trace;
}

function makeParams(W = W0, b = B0): Map<string, tf.Variable> {
  return new Map<string, tf.Variable>([
    ['W', tf.tidy(() => tf.variable(tf.tensor2d(W, [2, 2])))],
    ['b', tf.tidy(() => tf.variable(tf.tensor1d(b)))],
  ]);
}
const gradMap = (k: number): Map<string, tf.Tensor> =>
  new Map<string, tf.Tensor>([
    ['W', tf.tensor2d(GRADS[k]!.W, [2, 2])],
    ['b', tf.tensor1d(GRADS[k]!.b)],
  ]);
const values = (params: Map<string, tf.Variable>, name: string): number[] => Array.from(params.get(name)!.dataSync());
function stepWith(opt: AdamW, k: number): void {
  const g = gradMap(k);
  opt.step(g, LRS[k]!);
  tf.dispose([...g.values()]);
}
const expectClose = (got: number[], want: number[], digits = 5): void => got.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, digits));

describe('AdamW', () => {
  it('matches the reference over 3 steps, with decay on rank-2 weights only', () => {
    const params = makeParams();
    const opt = new AdamW(params, CFG);
    expect(opt.decays('W')).toBe(true);
    expect(opt.decays('b')).toBe(false);
    const refW = reference(W0, GRADS.map((g) => g.W), LRS, true);
    const refB = reference(B0, GRADS.map((g) => g.b), LRS, false);
    for (let k = 0; k < 3; k++) {
      stepWith(opt, k);
      expectClose(values(params, 'W'), refW[k]!);
      expectClose(values(params, 'b'), refB[k]!);
    }
    expect(opt.stepCount).toBe(3);
    opt.dispose();
    tf.dispose([...params.values()]);
  });

  it('steps 1 and 2 by hand (bias correction and decoupled decay)', () => {
    // Step 1: m̂ = g and v̂ = g², so the update is g/(|g| + ε) ≈ sign(g):
    //   W1 = W − 0.1·(sign(g) + 0.1·W) = [1 − 0.11, 2 + 0.08, 3 − 0.13, 4 + 0.06] = [0.89, 2.08, 2.87, 4.06]
    //   b1 = b − 0.1·sign(g) = [0.4, −0.4]      (no decay for rank 1)
    // Step 2, W[0] (g = −0.05, lr 0.05):
    //   m = 0.9·0.01 + 0.1·(−0.05) = 0.004;        m̂ = 0.004 / (1 − 0.9²) = 0.004/0.19 = 0.0210526
    //   v = 0.999·1e-5 + 0.001·0.0025 = 1.249e-5;   v̂ = 1.249e-5 / (1 − 0.999²) = 1.249e-5/0.001999 = 0.00624812
    //   update = 0.0210526 / √0.00624812 = 0.0210526 / 0.0790451 = 0.266337
    //   W2[0] = 0.89 − 0.05·(0.266337 + 0.1·0.89) = 0.89 − 0.0177669 = 0.872233
    const params = makeParams();
    const opt = new AdamW(params, CFG);
    stepWith(opt, 0);
    expectClose(values(params, 'W'), [0.89, 2.08, 2.87, 4.06]);
    expectClose(values(params, 'b'), [0.4, -0.4]);
    stepWith(opt, 1);
    expect(values(params, 'W')[0]).toBeCloseTo(0.872233, 5);
    opt.dispose();
    tf.dispose([...params.values()]);
  });

  it('leaves parameters without a gradient alone and rejects unknown or misshapen ones', async () => {
    const params = makeParams();
    const opt = new AdamW(params, CFG);
    const g = new Map<string, tf.Tensor>([['W', tf.tensor2d(GRADS[0]!.W, [2, 2])]]);
    opt.step(g, 0.1);
    expectClose(values(params, 'b'), B0, 7);
    expect(Array.from((await opt.exportState()).m['b']!)).toEqual([0, 0]);
    expect(() => opt.step(new Map([['nope', g.get('W')!]]), 0.1)).toThrow(/unknown parameter nope/);
    expect(() => opt.step(new Map([['b', g.get('W')!]]), 0.1)).toThrow(/shape/);
    expect(opt.stepCount).toBe(1);
    opt.dispose();
    tf.dispose([...g.values(), ...params.values()]);
  });

  it('leaks nothing: a step leaves numTensors unchanged; dispose frees the moments', async () => {
    const params = makeParams();
    const g = gradMap(0);
    const start = tf.memory().numTensors;
    const opt = new AdamW(params, CFG);
    expect(tf.memory().numTensors).toBe(start + 4); // m and v per parameter
    const before = tf.memory().numTensors;
    opt.step(g, 0.1);
    opt.step(g, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    const s = await opt.exportState();
    opt.importState(s);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([...g.values(), ...params.values()]);
  });

  it('exportState/importState: a restored optimizer continues identically', async () => {
    const pa = makeParams();
    const a = new AdamW(pa, CFG);
    stepWith(a, 0);
    stepWith(a, 1);
    const state = await a.exportState();
    expect(state.step).toBe(2);
    expect(Object.keys(state.m).sort()).toEqual(['W', 'b']);
    expect(state.m['W']).toBeInstanceOf(Float32Array);
    expect(state.v['W']).toHaveLength(4);

    // A fresh model with the same weights and a fresh optimizer, restored from plain arrays.
    const pb = makeParams(values(pa, 'W'), values(pa, 'b'));
    const b = new AdamW(pb, CFG);
    b.importState({ step: state.step, m: { ...state.m }, v: { ...state.v } });
    state.m['W']![0] = 999; // the optimizers hold copies
    stepWith(a, 2);
    stepWith(b, 2);
    expect(values(pb, 'W')).toEqual(values(pa, 'W'));
    expect(values(pb, 'b')).toEqual(values(pa, 'b'));
    const [sa, sb] = [await a.exportState(), await b.exportState()];
    expect(sb.step).toBe(3);
    expect(Array.from(sb.m['W']!)).toEqual(Array.from(sa.m['W']!));
    expect(Array.from(sb.v['b']!)).toEqual(Array.from(sa.v['b']!));
    // and both equal the uninterrupted reference
    expectClose(values(pb, 'W'), reference(W0, GRADS.map((g) => g.W), LRS, true)[2]!);
    [a, b].forEach((o) => o.dispose());
    tf.dispose([...pa.values(), ...pb.values()]);
  });

  it('importState refuses state for another model', async () => {
    const params = makeParams();
    const opt = new AdamW(params, CFG);
    const s = await opt.exportState();
    expect(() => opt.importState({ ...s, m: { W: s.m['W']! } })).toThrow(/no entry for b/);
    expect(() => opt.importState({ ...s, v: { ...s.v, extra: new Float32Array(1) } })).toThrow(/lacks: extra/);
    expect(() => opt.importState({ ...s, m: { ...s.m, b: new Float32Array(3) } })).toThrow(/3 values/);
    expect(() => opt.importState({ ...s, step: -1 })).toThrow(/step/);
    opt.dispose();
    tf.dispose([...params.values()]);
  });
});

describe('clipByGlobalNorm', () => {
  // ‖g‖ = √(3² + 4² + 0²) = 5 over two tensors
  const grads = (): Map<string, tf.Tensor> =>
    new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor2d([4], [1, 1])],
    ]);
  const read = (m: Map<string, tf.Tensor>): number[] => [...m.values()].flatMap((t) => Array.from(t.dataSync()));

  it('scales by maxNorm / (norm + 1e-6) when the norm is larger', async () => {
    const g = grads();
    const r = await clipByGlobalNorm(g, 1);
    expect(r.norm).toBeCloseTo(5, 6);
    // 1/5 → [0.6, 0, 0.8]
    expectClose(read(r.grads), [0.6, 0, 0.8], 6);
    expect(read(g)).toEqual([3, 0, 4]); // inputs untouched
    tf.dispose([...g.values(), ...r.grads.values()]);
  });

  it('leaves gradients under the limit, or with no limit, as they are (as new tensors)', async () => {
    const g = grads();
    for (const max of [10, null]) {
      const r = await clipByGlobalNorm(g, max);
      expect(r.norm).toBeCloseTo(5, 6);
      expect(read(r.grads)).toEqual([3, 0, 4]);
      expect(r.grads.get('a')).not.toBe(g.get('a'));
      tf.dispose([...r.grads.values()]);
    }
    expect((await clipByGlobalNorm(new Map(), 1)).norm).toBe(0);
    await expect(clipByGlobalNorm(g, 0)).rejects.toThrow(/positive/);
    tf.dispose([...g.values()]);
  });

  it('leaks nothing beyond the returned gradients', async () => {
    const g = grads();
    const before = tf.memory().numTensors;
    const r = await clipByGlobalNorm(g, 1);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([...r.grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...g.values()]);
  });
});

describe('lrAt', () => {
  // lr 1e-3, 4 warm-up steps, 14 steps in all, floor 0.1·lr = 1e-4; decay over steps 4 → 14 (10 steps).
  const cfg = (lr_schedule: LrConfig['lr_schedule']): LrConfig => ({ lr: 1e-3, lr_schedule, warmup: 4, min_lr: 0.1 });

  it('warms up linearly from lr/warmup to lr', () => {
    for (const s of ['constant', 'cosine', 'linear'] as const) {
      expect(lrAt(0, 14, cfg(s))).toBeCloseTo(2.5e-4, 12); // 1e-3 · 1/4
      expect(lrAt(1, 14, cfg(s))).toBeCloseTo(5e-4, 12); // 1e-3 · 2/4
      expect(lrAt(3, 14, cfg(s))).toBeCloseTo(1e-3, 12); // 1e-3 · 4/4
      expect(lrAt(4, 14, cfg(s))).toBeCloseTo(1e-3, 12); // decay starts at u = 0
    }
  });

  it('constant stays at lr', () => {
    expect(lrAt(13, 14, cfg('constant'))).toBe(1e-3);
    expect(lrAt(100, 14, cfg('constant'))).toBe(1e-3);
    expect(lrAt(0, 14, { ...cfg('constant'), warmup: 0 })).toBe(1e-3);
  });

  it('cosine decays to min_lr·lr at total', () => {
    // u = (6 − 4)/10 = 0.2: ½(1 + cos 0.2π) = ½(1 + 0.809017) = 0.904508 → 1e-4 + 9e-4·0.904508 = 9.140576e-4
    expect(lrAt(6, 14, cfg('cosine'))).toBeCloseTo(9.140576e-4, 9);
    // u = 0.5: 1e-4 + 9e-4·0.5 = 5.5e-4
    expect(lrAt(9, 14, cfg('cosine'))).toBeCloseTo(5.5e-4, 12);
    expect(lrAt(14, 14, cfg('cosine'))).toBeCloseTo(1e-4, 12);
    expect(lrAt(20, 14, cfg('cosine'))).toBeCloseTo(1e-4, 12); // clamped past the end
  });

  it('linear decays to min_lr·lr at total', async () => {
    // u = 0.2: 1e-4 + 9e-4·0.8 = 8.2e-4;  u = 0.5: 5.5e-4;  u = 1: 1e-4
    expect(lrAt(6, 14, cfg('linear'))).toBeCloseTo(8.2e-4, 12);
    expect(lrAt(9, 14, cfg('linear'))).toBeCloseTo(5.5e-4, 12);
    expect(lrAt(14, 14, cfg('linear'))).toBeCloseTo(1e-4, 12);
    // min_lr 0 without warm-up: 1e-3 · (1 − 5/10) = 5e-4 at step 5 of 10
    expect(lrAt(5, 10, { lr: 1e-3, lr_schedule: 'linear', warmup: 0, min_lr: 0 })).toBeCloseTo(5e-4, 12);
  });
});

describe('AdamW in packed groups', () => {
  const make = () =>
    new Map<string, tf.Variable>([
      ['a.weight', tf.variable(tf.tensor2d([0.5, -1.2, 2.0, 0.3, -0.7, 1.1], [2, 3]))],
      ['a.bias', tf.variable(tf.tensor1d([0.1, -0.2, 0.3]))],
      ['norm.weight', tf.variable(tf.tensor1d([1, 1, 1]))],
      ['b.weight', tf.variable(tf.tensor2d([0.9, -0.4, 0.2, 0.8], [2, 2]))],
      ['c.weight', tf.variable(tf.tensor2d([0.05, 0.6], [1, 2]))],
    ]);
  /** Three steps on each of two copies, plain and packed; `skip` gets no gradient at step 2. */
  async function compare(skip?: string) {
    const [pa, pb] = [make(), make()];
    const plain = new AdamW(pa, { weightDecay: 0.1, fuse: false });
    const fused = new AdamW(pb, { weightDecay: 0.1, fuse: true });
    for (let step = 1; step <= 3; step++) {
      const grads = new Map<string, tf.Tensor>([...pa].filter(([n]) => !(step === 2 && n === skip)).map(([n, p]) => [n, tf.tidy(() => tf.sin(tf.mul(p, step * 1.7)))]));
      const before = tf.memory().numTensors;
      plain.step(grads, 1e-2);
      fused.step(grads, 1e-2);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([...grads.values()]);
    }
    for (const n of pa.keys()) expect(Array.from(pb.get(n)!.dataSync()), n).toEqual(Array.from(pa.get(n)!.dataSync()));
    const [sa, sb] = [await plain.exportState(), await fused.exportState()];
    for (const n of pa.keys()) {
      expect(Array.from(sb.m[n]!), n).toEqual(Array.from(sa.m[n]!));
      expect(Array.from(sb.v[n]!), n).toEqual(Array.from(sa.v[n]!));
    }
    return { pa, pb, plain, fused, sb, done: () => (plain.dispose(), fused.dispose(), tf.dispose([...pa.values(), ...pb.values()])) };
  }

  it('gives bit-identical parameters and moments to the per-parameter update, without leaking', async () => {
    const r = await compare();
    // the decayed weights moved differently from the undecayed ones: decay was applied per group rule
    expect(Array.from(r.pa.get('a.weight')!.dataSync())).not.toEqual([0.5, -1.2, 2.0, 0.3, -0.7, 1.1]);
    r.done();
  });

  it('leaves a parameter without a gradient alone, moments included, as the per-parameter update does', async () => {
    const r = await compare('a.bias');
    r.done();
  });

  it('restores exported moments into a fresh packed optimizer, which then continues identically', async () => {
    const r = await compare();
    const pc = make();
    for (const [n, v] of r.pb) pc.get(n)!.assign(v);
    const again = new AdamW(pc, { weightDecay: 0.1, fuse: true });
    again.importState(r.sb);
    const grads = new Map<string, tf.Tensor>([...r.pb].map(([n, p]) => [n, tf.tidy(() => tf.cos(p))]));
    again.step(grads, 1e-2);
    r.fused.step(grads, 1e-2);
    for (const n of pc.keys()) expect(Array.from(pc.get(n)!.dataSync()), n).toEqual(Array.from(r.pb.get(n)!.dataSync()));
    tf.dispose([...grads.values(), ...pc.values()]);
    again.dispose();
    r.done();
  });
});
