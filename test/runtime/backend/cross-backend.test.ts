// One GRPO update (forward → token log-probs → clipped surrogate → gradients → AdamW) on every
// backend this machine has, against the cpu backend: the loss, every gradient and the updated
// weights must agree within float32 tolerance. webgpu runs here on Dawn's OpenGL ES backend over
// Mesa's software GL (SIRIC_WEBGPU_ADAPTER=gles) when the GL packages are installed; without them
// its cases are skipped with the reason.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDeviceHealthy, releaseBackend, selectBackend, trimGpuBufferPool } from '../../../src/runtime/backend.js';
import { configFromScratch } from '../../../src/runtime/model/hf-config.js';
import { buildMask, Transformer } from '../../../src/runtime/model/transformer.js';
import { AdamW } from '../../../src/runtime/optim/adamw.js';
import { policyLoss, tokenLogProbs } from '../../../src/runtime/rl/loss.js';
import { sample } from '../../../src/runtime/rl/sampler.js';
import { Rng } from '../../../src/runtime/rng.js';
import { RunError } from '../../../src/runtime/types.js';
import { dispatchCacheStats } from '../../../src/runtime/webgpu/dispatch-cache.js';

process.env['SIRIC_WEBGPU_ADAPTER'] ??= 'gles';

const B = 3;
const T = 12;
const V = 40;

interface UpdateResult {
  loss: number;
  grads: Record<string, Float32Array>;
  after: Record<string, Float32Array>;
  leaked: number;
}

function model(): Transformer {
  // Two layers with GQA (4 query heads over 2 KV heads), untied head: every parameter kind.
  const cfg = configFromScratch({ kind: 'scratch', layers: 2, d_model: 32, heads: 4, kv_heads: 2, ffn: 64, context: 64, tie_embeddings: false, rope_theta: 10000, norm_eps: 1e-6 }, V, { bos: 1, eos: 2, pad: 0 }, 'float32');
  return new Transformer(cfg, undefined, 9);
}

async function oneUpdate(): Promise<UpdateResult> {
  const m = model();
  const opt = new AdamW(m.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const rng = new Rng(5);
  const ids = Int32Array.from({ length: B * T }, () => 3 + rng.int(V - 3));
  const tgt = Int32Array.from({ length: B * T }, () => 3 + rng.int(V - 3));
  const pos = Int32Array.from({ length: B * T }, (_, i) => i % T);
  const old = Float32Array.from({ length: B * T }, () => -Math.log(V) + 0.3 * rng.normal());
  const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T < 2 ? 0 : 1));
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const { logits } = m.forward({ ids: tf.tensor2d(ids, [B, T], 'int32'), positions: tf.tensor2d(pos, [B, T], 'int32'), mask: buildMask([new Uint8Array(T).fill(1)], 0, T) });
    const { logp, entropy } = tokenLogProbs(logits, tf.tensor2d(tgt, [B, T], 'int32'), 0.9);
    return policyLoss({ logpNew: logp, logpOld: tf.tensor2d(old, [B, T]), advantages: tf.tensor1d([0.8, -1.2, 0.4]), mask: tf.tensor2d(mask, [B, T]), clipLow: 0.2, clipHigh: 0.28, agg: 'token_mean', entropy, entropyCoef: 0.01 }).loss;
  }, [...m.params.values()]);
  const named = new Map<string, tf.Tensor>();
  for (const [name, v] of m.params) named.set(name, grads[v.name]!);
  opt.step(named, 1e-2);
  const out: UpdateResult = { loss: (await value.data())[0]!, grads: {}, after: {}, leaked: 0 };
  for (const [name, g] of named) out.grads[name] = (await g.data()) as Float32Array;
  tf.dispose([value, ...Object.values(grads)]);
  out.leaked = tf.memory().numTensors - before;
  out.after = Object.fromEntries(Object.entries(await m.exportWeights()).map(([k, t]) => [k, t.data]));
  assertDeviceHealthy();
  opt.dispose();
  m.dispose();
  return out;
}

/** Largest |a − b| relative to the largest |b| of the tensor (gradients differ in scale per tensor). */
function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 1e-12;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

let ref: UpdateResult;
beforeAll(async () => {
  await selectBackend('cpu');
  ref = await oneUpdate();
}, 60_000);
afterAll(async () => {
  await releaseBackend();
});

const available: Record<string, string | null> = {};
async function use(backend: 'wasm' | 'webgpu'): Promise<string | null> {
  if (!(backend in available)) {
    try {
      await selectBackend(backend);
      available[backend] = null;
    } catch (e) {
      available[backend] = (e as Error).message;
    }
  } else if (available[backend] === null) await selectBackend(backend);
  return available[backend]!;
}

for (const backend of ['wasm', 'webgpu'] as const) {
  describe(`on ${backend}`, () => {
    it('one GRPO update gives the cpu loss, gradients and updated weights', async (ctx) => {
      const why = await use(backend);
      if (why) ctx.skip(`${backend} unavailable: ${why}`);
      expect(tf.getBackend()).toBe(backend);
      const r = await oneUpdate();
      expect(r.leaked).toBe(0);
      expect(Math.abs(r.loss - ref.loss)).toBeLessThan(1e-5 + 1e-4 * Math.abs(ref.loss));
      expect(Object.keys(r.grads).sort()).toEqual(Object.keys(ref.grads).sort());
      for (const name of Object.keys(ref.grads)) {
        expect(ref.grads[name]!.some((x) => x !== 0), name).toBe(true);
        expect(relDiff(r.grads[name]!, ref.grads[name]!), name).toBeLessThan(2e-3);
        expect(relDiff(r.after[name]!, ref.after[name]!), name).toBeLessThan(1e-4);
      }
    }, 120_000);

    it('sampling picks the same tokens on the device as in JavaScript, for every sampling mode', async (ctx) => {
      const why = await use(backend);
      if (why) ctx.skip(`${backend} unavailable: ${why}`);
      const m = model();
      const prompts = [[1, 5, 6], [1, 7, 8, 9, 10], [1, 4]];
      const modes = [
        { greedy: true, temperature: 1, topP: 1, topK: 0 },
        { greedy: false, temperature: 0.8, topP: 1, topK: 0 },
        { greedy: false, temperature: 1, topP: 1, topK: 5 },
        { greedy: false, temperature: 0.7, topP: 0.9, topK: 0 },
        { greedy: false, temperature: 1.2, topP: 0.8, topK: 7 },
      ];
      const before = tf.memory().numTensors;
      for (const mode of modes) {
        const run = (pickOn: 'host' | 'device') => sample(m, prompts, { maxNew: 10, eos: 2, pad: 0, ...mode, rng: new Rng(11), pickOn });
        const host = await run('host');
        const device = await run('device');
        expect(device.tokens, JSON.stringify(mode)).toEqual(host.tokens);
        expect(device.truncated).toEqual(host.truncated);
        device.logps.forEach((row, b) => row.forEach((lp, i) => expect(lp).toBeCloseTo(host.logps[b]![i]!, 4)));
      }
      expect(tf.memory().numTensors).toBe(before);
      m.dispose();
    }, 120_000);
  });
}

describe('device sampling with top-p over a flat distribution', () => {
  it('falls back to the whole row when the nucleus is not among the candidates read back', async () => {
    await selectBackend('cpu');
    // A vocabulary above the 256 candidates and near-zero weights: the 0.95 nucleus needs most of it.
    const cfg = configFromScratch({ kind: 'scratch', layers: 1, d_model: 16, heads: 2, kv_heads: 2, ffn: 32, context: 32, tie_embeddings: true, rope_theta: 10000, norm_eps: 1e-6 }, 600, { bos: 1, eos: 2, pad: 0 }, 'float32');
    const m = new Transformer(cfg, undefined, 1);
    const run = (pickOn: 'host' | 'device') => sample(m, [[1, 3, 4], [1, 5]], { maxNew: 6, eos: 2, pad: 0, greedy: false, temperature: 1, topP: 0.95, topK: 0, rng: new Rng(2), pickOn });
    const host = await run('host');
    expect((await run('device')).tokens).toEqual(host.tokens);
    m.dispose();
  });
});

describe('webgpu uploads', () => {
  it('a repeated update makes no new GPU buffers (values go up through queue.writeBuffer into pooled buffers)', async (ctx) => {
    const why = await use('webgpu');
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    await oneUpdate(); // fills tfjs's buffer pool
    const device = (tf.backend() as unknown as { device: { createBuffer: (d: unknown) => unknown } }).device;
    const create = device.createBuffer.bind(device);
    let made = 0;
    device.createBuffer = (d: unknown) => (made++, create(d));
    try {
      const r = await oneUpdate();
      expect(Math.abs(r.loss - ref.loss)).toBeLessThan(1e-5 + 1e-4 * Math.abs(ref.loss));
    } finally {
      device.createBuffer = create;
    }
    // tfjs's own upload made a mapped staging buffer per tensor built from JavaScript values.
    expect(made).toBe(0);
  }, 120_000);
});

describe('AdamW on webgpu', () => {
  /**
   * 3 steps (step 2 without a gradient for one norm weight); `share`: a reshape of one weight is
   * kept alive through the steps, so its group may not be written in place.
   */
  const run = async (fuse: boolean, share = false) => {
    const m = model();
    const opt = new AdamW(m.params, { weightDecay: 0.1, fuse });
    const kernels: string[] = [];
    let firstKernels: string[] = [];
    const engine = tf.engine();
    const runKernel = engine.runKernel.bind(engine);
    const shared = share ? m.params.get('model.layers.0.self_attn.q_proj.weight')!.reshape([-1]) : undefined;
    const buffers = () => [...m.params.values()].map((p) => (tf.backend() as unknown as { tensorMap: { get(id: object): { resource: unknown } } }).tensorMap.get(p.dataId)?.resource);
    let before: unknown[] = [];
    let numTensors = 0;
    engine.runKernel = ((name: string, ...rest: unknown[]) => (kernels.push(name), (runKernel as (...a: unknown[]) => unknown)(name, ...rest))) as typeof engine.runKernel;
    try {
      for (let step = 1; step <= 3; step++) {
        const grads = new Map<string, tf.Tensor>([...m.params].filter(([n]) => !(step === 2 && n.endsWith('0.input_layernorm.weight'))).map(([n, p]) => [n, tf.tidy(() => tf.sin(tf.mul(p, 37 * step)))]));
        kernels.length = 0;
        numTensors = tf.memory().numTensors;
        opt.step(grads, 1e-2);
        numTensors = tf.memory().numTensors - numTensors;
        tf.dispose([...grads.values()]);
        // Buffers as after the first step (a parameter made from JavaScript values is uploaded at its first use).
        if (step === 1 && tf.getBackend() === 'webgpu') before = buffers();
        if (step === 1) firstKernels = [...kernels];
      }
    } finally {
      engine.runKernel = runKernel;
    }
    const sameBuffers = tf.getBackend() === 'webgpu' && buffers().every((b, i) => b === before[i]);
    shared?.dispose();
    const state = await opt.exportState();
    const weights = Object.fromEntries(Object.entries(await m.exportWeights()).map(([k, t]) => [k, t.data]));
    opt.dispose();
    m.dispose();
    return { kernels, firstKernels, state, weights, sameBuffers, numTensors };
  };
  const expectClose = (got: Awaited<ReturnType<typeof run>>, want: Awaited<ReturnType<typeof run>>) => {
    for (const [k, w] of Object.entries(want.weights)) expect(relDiff(got.weights[k]!, w), k).toBeLessThan(1e-5);
    for (const k of Object.keys(want.state.m)) {
      expect(relDiff(got.state.m[k]!, want.state.m[k]!), `m ${k}`).toBeLessThan(1e-5);
      expect(relDiff(got.state.v[k]!, want.state.v[k]!), `v ${k}`).toBeLessThan(1e-5);
    }
  };

  it('updates parameters and moments in place, with no engine kernels and no new tensors, and gives the cpu per-parameter numbers over 3 steps (one without a gradient for a norm)', async (ctx) => {
    await selectBackend('cpu');
    const want = await run(false);
    const why = await use('webgpu');
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const got = await run(true);
    assertDeviceHealthy();
    expect(got.kernels).toEqual([]);
    expect(got.numTensors).toBe(0);
    expect(got.sameBuffers).toBe(true);
    expectClose(got, want);
  }, 120_000);

  it('falls back to the two group kernels for a group whose data is shared, with the same numbers', async (ctx) => {
    await selectBackend('cpu');
    const want = await run(false);
    const why = await use('webgpu');
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const got = await run(true, true);
    assertDeviceHealthy();
    // The first step: the decayed matrices' group (it holds the shared weight) with the fused group
    // kernels, the norms' group in place. Its assign() gives the weight data of its own, so the later
    // steps are in place.
    expect(got.firstKernels.filter((k) => k === 'SiricAdamMoments').length).toBe(1);
    expect(got.firstKernels.filter((k) => k === 'SiricAdamParam').length).toBe(1);
    expect(got.kernels).toEqual([]);
    expectClose(got, want);
  }, 120_000);
});

describe('webgpu dispatch caches', () => {
  /** `steps` training steps of one model; the cache counters' change over each step; the final weights. */
  async function train(steps: number): Promise<{ misses: number[]; hits: number[]; weights: Record<string, Float32Array> }> {
    const m = model();
    const opt = new AdamW(m.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    const rng = new Rng(3);
    const ids = tf.tensor2d(Int32Array.from({ length: B * T }, () => 3 + rng.int(V - 3)), [B, T], 'int32');
    const tgt = tf.tensor2d(Int32Array.from({ length: B * T }, () => 3 + rng.int(V - 3)), [B, T], 'int32');
    const pos = tf.tensor2d(Int32Array.from({ length: B * T }, (_, i) => i % T), [B, T], 'int32');
    const misses: number[] = [];
    const hits: number[] = [];
    for (let s = 0; s < steps; s++) {
      const a = dispatchCacheStats();
      const { value, grads } = tf.variableGrads(() => {
        const { logits } = m.forward({ ids, positions: pos, mask: buildMask([new Uint8Array(T).fill(1)], 0, T) });
        return tf.neg(tf.mean(tokenLogProbs(logits, tgt).logp)) as tf.Scalar;
      }, [...m.params.values()]);
      const named = new Map<string, tf.Tensor>();
      for (const [name, v] of m.params) named.set(name, grads[v.name]!);
      opt.step(named, 1e-2);
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
      const b = dispatchCacheStats();
      misses.push(b.uniformMisses - a.uniformMisses + b.bindGroupMisses - a.bindGroupMisses);
      hits.push(b.uniformHits - a.uniformHits + b.bindGroupHits - a.bindGroupHits);
    }
    assertDeviceHealthy();
    const weights = Object.fromEntries(Object.entries(await m.exportWeights()).map(([k, t]) => [k, t.data]));
    tf.dispose([ids, tgt, pos]);
    opt.dispose();
    m.dispose();
    return { misses, hits, weights };
  }

  it('a repeated training step comes to write no uniforms and make no bind groups, with the cpu numbers', async (ctx) => {
    await selectBackend('cpu');
    const want = await train(12);
    const why = await use('webgpu');
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const got = await train(12);
    // The pool hands buffers out in a fixed order, so after a few steps every step binds the same buffers.
    expect(got.misses.slice(-2)).toEqual([0, 0]);
    expect(got.hits.at(-1)).toBeGreaterThan(300);
    for (const [k, w] of Object.entries(want.weights)) expect(relDiff(got.weights[k]!, w), k).toBeLessThan(1e-4);
  }, 120_000);
});

describe('webgpu fixed-capacity KV cache', () => {
  it('samples the growing cache\'s tokens, and its decode steps come to make no buffers, uniforms or bind groups', async (ctx) => {
    const why = await use('webgpu');
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const m = model();
    const prompts = [[1, 5, 6, 9, 4], [1, 7], [1, 8, 3]];
    const opts = { maxNew: 16, eos: -1, pad: 0, greedy: false, temperature: 1, topP: 1, topK: 0 };
    const grow = await sample(m, prompts, { ...opts, rng: new Rng(6), kvCache: 'grow' });
    // Count what each decode step makes, through the device and the dispatch caches.
    const device = (tf.backend() as unknown as { device: { createBuffer: (d: unknown) => unknown } }).device;
    const create = device.createBuffer.bind(device);
    let buffers = 0;
    device.createBuffer = (d: unknown) => (buffers++, create(d));
    const perStep: number[] = [];
    const read = (tf.Tensor.prototype as unknown as { data: () => Promise<unknown> }).data;
    let last = { b: 0, s: dispatchCacheStats() };
    (tf.Tensor.prototype as unknown as { data: () => Promise<unknown> }).data = function (this: tf.Tensor) {
      // One read-back per token: count what was made since the previous one.
      const s = dispatchCacheStats();
      perStep.push(buffers - last.b + s.uniformMisses - last.s.uniformMisses + s.bindGroupMisses - last.s.bindGroupMisses);
      last = { b: buffers, s };
      return read.call(this);
    };
    let fixed;
    try {
      fixed = await sample(m, prompts, { ...opts, rng: new Rng(6), kvCache: 'fixed' });
    } finally {
      device.createBuffer = create;
      (tf.Tensor.prototype as unknown as { data: () => Promise<unknown> }).data = read;
    }
    assertDeviceHealthy();
    expect(fixed.tokens).toEqual(grow.tokens);
    for (let i = 0; i < grow.logps.length; i++) for (let j = 0; j < grow.logps[i]!.length; j++) expect(Math.abs(fixed.logps[i]![j]! - grow.logps[i]![j]!)).toBeLessThan(1e-5);
    expect(perStep.length).toBe(16);
    expect(perStep.slice(-10)).toEqual(new Array(10).fill(0));
    m.dispose();
  }, 120_000);

  it('is freed when a decode step fails', async (ctx) => {
    const why = await use('webgpu');
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const m = model();
    const forward = m.forward.bind(m);
    let calls = 0;
    m.forward = (input) => {
      if (++calls === 3) throw new Error('the device went away');
      return forward(input);
    };
    const before = tf.memory().numTensors;
    await expect(sample(m, [[1, 5, 6]], { maxNew: 6, eos: -1, pad: 0, greedy: true, temperature: 1, topP: 1, topK: 0, rng: new Rng(2), kvCache: 'fixed' })).rejects.toThrow('the device went away');
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('is refused off webgpu', async () => {
    await selectBackend('cpu');
    const m = model();
    const before = tf.memory().numTensors;
    await expect(sample(m, [[1, 5]], { maxNew: 3, eos: -1, pad: 0, greedy: true, temperature: 1, topP: 1, topK: 0, rng: new Rng(1), kvCache: 'fixed' })).rejects.toThrow(/webgpu backend only/);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});

describe('webgpu buffer pool', () => {
  it('sampling trims the pool of released buffers above the limit, and sampling again still works', async (ctx) => {
    const why = await use('webgpu');
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const m = model();
    const run = () => sample(m, [[1, 5, 6], [1, 7]], { maxNew: 20, eos: -1, pad: 0, greedy: false, temperature: 1, topP: 1, topK: 0, rng: new Rng(4), kvCache: 'grow' });
    const pool = (tf.backend() as unknown as { bufferManager: { freeBuffers: Map<string, unknown[]> } }).bufferManager;
    const free = (): number => [...pool.freeBuffers.values()].reduce((n, l) => n + l.length, 0);
    const first = await run(); // default limit (2 GiB): this toy model's pool stays
    expect(free()).toBeGreaterThan(100); // a buffer for every size the growing KV cache had
    expect(trimGpuBufferPool(0)).toBeGreaterThan(0);
    expect(free()).toBe(0);
    expect(trimGpuBufferPool(0)).toBe(0); // nothing left to free
    expect((await run()).tokens).toEqual(first.tokens);
    expect(free()).toBeGreaterThan(0); // released buffers still go back to the pool after a trim
    m.dispose();
  }, 120_000);

  it('does nothing on other backends', async () => {
    await selectBackend('cpu');
    expect(trimGpuBufferPool(0)).toBe(0);
  });
});

describe('GPU errors', () => {
  it('a kernel the device rejects becomes a RunError instead of stale numbers', async (ctx) => {
    const why = await use('webgpu');
    if (why) ctx.skip(`webgpu unavailable: ${why}`);
    const limit = (tf.backend() as unknown as { device: { limits: { maxStorageBuffersPerShaderStage: number } } }).device.limits.maxStorageBuffersPerShaderStage;
    // tfjs's addN binds one buffer per input: one more than the device allows is rejected.
    const xs = Array.from({ length: limit + 1 }, (_, i) => tf.fill([4], i + 1));
    const s = tf.addN(xs);
    await s.data();
    tf.dispose([s, ...xs]);
    await new Promise((r) => setTimeout(r, 50));
    expect(() => assertDeviceHealthy()).toThrow(RunError);
    expect(() => assertDeviceHealthy()).not.toThrow(); // reported once
  });
});
