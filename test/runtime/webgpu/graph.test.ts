// Step graphs (src/runtime/webgpu/graph.ts) on the software WebGPU device: a replayed training step
// gives exactly the eager step's numbers, makes nothing per step, notices when it may no longer be
// replayed, and refuses steps that cannot be replayed. Skipped with the reason where webgpu is
// unavailable (no Mesa GL packages).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDeviceHealthy, releaseBackend, selectBackend, trimGpuBufferPool } from '../../../src/runtime/backend.js';
import { configFromScratch } from '../../../src/runtime/model/hf-config.js';
import { buildMask, Transformer } from '../../../src/runtime/model/transformer.js';
import { AdamW } from '../../../src/runtime/optim/adamw.js';
import { GradientStep } from '../../../src/runtime/optim/gradient-step.js';
import { tokenLogProbs } from '../../../src/runtime/rl/loss.js';
import { dispatchCacheStats } from '../../../src/runtime/webgpu/dispatch-cache.js';
import { StepGraph } from '../../../src/runtime/webgpu/graph.js';

process.env['SIRIC_WEBGPU_ADAPTER'] ??= 'gles';

const [B, T, V] = [3, 10, 40];

let unavailable: string | null = null;
beforeAll(async () => {
  try {
    await selectBackend('webgpu');
  } catch (e) {
    unavailable = (e as Error).message;
  }
}, 60_000);
afterAll(async () => {
  await releaseBackend();
});

function model(): Transformer {
  const cfg = configFromScratch({ kind: 'scratch', layers: 2, d_model: 32, heads: 4, kv_heads: 2, ffn: 64, context: 64, tie_embeddings: false, rope_theta: 10000, norm_eps: 1e-6 }, V, { bos: 1, eos: 2, pad: 0 }, 'float32');
  return new Transformer(cfg, undefined, 4);
}

/** Different data at every step. */
function data(step: number): { ids: Int32Array; pos: Int32Array; tgt: Int32Array } {
  return {
    ids: Int32Array.from({ length: B * T }, (_, i) => 3 + ((i * 7 + step * 3) % (V - 3))),
    pos: Int32Array.from({ length: B * T }, (_, i) => i % T),
    tgt: Int32Array.from({ length: B * T }, (_, i) => 3 + ((i * 5 + step) % (V - 3))),
  };
}

interface Trained {
  losses: number[];
  weights: Record<string, Float32Array>;
  statuses: ReturnType<GradientStep<'ids'>['status']>[];
  /** Per step after the first few: tensors, engine kernel calls, buffers and bind groups made. */
  made: { tensors: number; kernels: number; buffers: number; bindGroups: number }[];
}

/**
 * `steps` training steps, through a GradientStep (graph) or directly through tfjs (eager);
 * `reassignAt`: before that step, one weight is given new values with assign().
 */
async function train(graph: boolean, steps: number, reassignAt = -1): Promise<Trained> {
  const m = model();
  const opt = new AdamW(m.params, { weightDecay: 0.01 });
  const loss = (x: Record<'ids' | 'pos' | 'tgt', tf.Tensor>) => {
    const { logits } = m.forward({ ids: x.ids as tf.Tensor2D, positions: x.pos as tf.Tensor2D, mask: buildMask([new Uint8Array(T).fill(1)], 0, T) });
    return { loss: tf.neg(tf.mean(tokenLogProbs(logits, x.tgt as tf.Tensor2D).logp)) as tf.Scalar };
  };
  const spec = { shape: [B, T], dtype: 'int32' as const };
  const g = new GradientStep({ params: m.params, optimizer: opt, inputs: { ids: spec, pos: spec, tgt: spec }, loss });
  const out: Trained = { losses: [], weights: {}, statuses: [], made: [] };
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  let kernels = 0;
  engine.runKernel = ((...a: unknown[]) => (kernels++, (runKernel as (...x: unknown[]) => unknown)(...a))) as typeof engine.runKernel;
  const device = (tf.backend() as unknown as { device: Record<string, (...a: unknown[]) => unknown> }).device;
  const createBuffer = device['createBuffer']!;
  let buffers = 0;
  device['createBuffer'] = (...a: unknown[]) => (buffers++, createBuffer.apply(device, a));
  try {
    for (let s = 0; s < steps; s++) {
      if (s === reassignAt) {
        const w = m.params.get('model.layers.1.mlp.up_proj.weight')!;
        tf.tidy(() => w.assign(tf.mul(w, 0.5)));
      }
      const d = data(s);
      const before = { tensors: tf.memory().numTensors, kernels, buffers, bindGroups: dispatchCacheStats().bindGroupMisses };
      let value: number;
      if (graph) value = (await g.run(d, 1e-2).loss.data())[0]!;
      else {
        const x = { ids: tf.tensor2d(d.ids, [B, T], 'int32'), pos: tf.tensor2d(d.pos, [B, T], 'int32'), tgt: tf.tensor2d(d.tgt, [B, T], 'int32') };
        const { value: v, grads } = tf.variableGrads(() => loss(x).loss, [...m.params.values()]);
        opt.step(new Map([...m.params].map(([k, p]) => [k, grads[p.name]!])), 1e-2);
        value = (await v.data())[0]!;
        tf.dispose([v, ...Object.values(grads), ...Object.values(x)]);
      }
      out.made.push({ tensors: tf.memory().numTensors - before.tensors, kernels: kernels - before.kernels, buffers: buffers - before.buffers, bindGroups: dispatchCacheStats().bindGroupMisses - before.bindGroups });
      out.losses.push(value);
      out.statuses.push(g.status());
    }
  } finally {
    engine.runKernel = runKernel;
    device['createBuffer'] = createBuffer;
  }
  assertDeviceHealthy();
  out.weights = Object.fromEntries(Object.entries(await m.exportWeights()).map(([k, t]) => [k, t.data]));
  g.dispose();
  opt.dispose();
  m.dispose();
  return out;
}

describe('step graphs on webgpu', () => {
  it('replay gives the eager steps\' losses and weights exactly, and a replayed step makes no tensors, kernel calls, buffers or bind groups', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    const start = tf.memory().numTensors;
    const eager = await train(false, 8);
    const graph = await train(true, 8);
    expect(graph.losses).toEqual(eager.losses);
    for (const [k, w] of Object.entries(eager.weights)) expect(graph.weights[k], k).toEqual(w);
    const last = graph.statuses.at(-1)!;
    expect(last.ready).toBe(true);
    expect(last.eager).toBeLessThanOrEqual(4);
    expect(last.replayed).toBe(8 - last.eager);
    expect(last.dispatches).toBeGreaterThan(50);
    for (const made of graph.made.slice(last.eager)) expect(made).toEqual({ tensors: 0, kernels: 0, buffers: 0, bindGroups: 0 });
    expect(tf.memory().numTensors).toBe(start);
  }, 180_000);

  it('records again when a state tensor is given new data, and keeps the eager numbers', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    const eager = await train(false, 9, 6);
    const graph = await train(true, 9, 6);
    expect(graph.statuses[5]!.ready).toBe(true);
    // At step 6 the graph sees the new data, drops its recording and runs eagerly.
    expect(graph.statuses[6]!.ready).toBe(false);
    expect(graph.statuses[6]!.reason).toMatch(/recording again: a state tensor was given new data/);
    expect(graph.statuses[6]!.eager).toBe(graph.statuses[5]!.eager + 1);
    expect(graph.losses).toEqual(eager.losses);
    for (const [k, w] of Object.entries(eager.weights)) expect(graph.weights[k], k).toEqual(w);
  }, 180_000);

  it('never replays a step that bakes a changing number into its kernels, and says why', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    let step = 0;
    const g = new StepGraph({
      inputs: { x: { shape: [4], dtype: 'float32' } },
      state: () => [],
      // tf.scalar(step): a new value uploaded at every step, not an input.
      body: (x) => ({ y: tf.mul(x.x!, tf.scalar(++step)) }),
    });
    const got: number[][] = [];
    for (let i = 0; i < 8; i++) got.push([...(await g.run({ x: Float32Array.from([1, 2, 3, 4]) }).y!.data())]);
    expect(got.at(-1)).toEqual([8, 16, 24, 32]);
    expect(g.status().ready).toBe(false);
    expect(g.status().replayed).toBe(0);
    expect(g.status().reason).toMatch(/not replayable: two recordings differ: call \d+ \(write of 4 bytes\) differs in its bytes/);
    g.dispose();
  }, 60_000);

  it('never replays a step that reads a tensor back', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    const g = new StepGraph({
      inputs: { x: { shape: [4], dtype: 'float32' } },
      state: () => [],
      body: (x) => {
        // A read started inside the step (dataSync is not available in Node).
        const s = tf.keep(tf.sum(x.x!));
        void s.data().then(() => s.dispose());
        return { y: tf.mul(x.x!, 2) };
      },
    });
    for (let i = 0; i < 3; i++) expect([...(await g.run({ x: Float32Array.from([1, 2, 3, i]) }).y!.data())]).toEqual([2, 4, 6, 2 * i]);
    expect(g.status().ready).toBe(false);
    expect(g.status().reason).toMatch(/not replayable: it reads a tensor back/);
    g.dispose();
  }, 60_000);

  it('a replayed graph follows its inputs, its outputs read back fresh values at every run, a trimmed pool does not stop it, and tf.profile sees its kernels', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    const w = tf.variable(tf.tensor1d([1, 1, 1, 1]));
    const g = new StepGraph({ inputs: { x: { shape: [4], dtype: 'float32' } }, state: () => [w], body: (x) => ({ y: tf.add(tf.mul(x.x!, 2), 1) }) });
    for (let i = 0; i < 6; i++) {
      const y = g.run({ x: Float32Array.from([i, i + 1, -i, 0.5]) }).y!;
      expect([...(await y.data())]).toEqual([2 * i + 1, 2 * i + 3, -2 * i + 1, 2]);
    }
    expect(g.status().replayed).toBeGreaterThan(0);
    // Trimming the pool (after sampling) destroys free buffers, none of which the graph uses: it keeps replaying.
    const replayed = g.status().replayed;
    const held = tf.tidy(() => Array.from({ length: 20 }, (_, i) => tf.fill([64 + i], 1)).map((t) => tf.add(t, 1)));
    tf.dispose(held);
    expect(trimGpuBufferPool(0)).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expect([...(await g.run({ x: Float32Array.from([i, 1, 2, 3]) }).y!.data())]).toEqual([2 * i + 1, 3, 5, 7]);
    expect(g.status().ready).toBe(true);
    expect(g.status().replayed).toBe(replayed + 3);
    // Under tf.profile a run goes through tfjs, so that its kernels are seen and timed.
    let y: tf.Tensor | undefined;
    const prof = await tf.profile(() => {
      y = g.run({ x: Float32Array.from([1, 1, 1, 1]) }).y!;
    });
    expect(prof.kernels.map((k) => k.name)).toContain('Add');
    expect([...(await y!.data())]).toEqual([3, 3, 3, 3]);
    expect(g.status().replayed).toBe(replayed + 3);
    assertDeviceHealthy();
    g.dispose();
    w.dispose();
  }, 60_000);

  it('two graphs that read one weight both replay; the weight\'s buffer, disposed, returns to the pool only when the last of them lets go', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9]))); // no other tensor shares its data
    const spec = { x: { shape: [9], dtype: 'float32' as const } };
    const a = new StepGraph({ inputs: spec, state: () => [w], body: (x) => ({ y: tf.mul(x.x!, w) }) });
    const b = new StepGraph({ inputs: spec, state: () => [w], body: (x) => ({ y: tf.sub(x.x!, w) }) });
    for (let i = 0; i < 6; i++) {
      const x = Float32Array.from({ length: 9 }, (_, j) => i + j);
      expect([...(await a.run({ x }).y!.data())]).toEqual([...x].map((v, j) => v * (j + 1)));
      expect([...(await b.run({ x }).y!.data())]).toEqual([...x].map((v, j) => v - (j + 1)));
    }
    expect(a.status()).toMatchObject({ ready: true });
    expect(b.status()).toMatchObject({ ready: true });
    expect(a.status().replayed).toBeGreaterThan(0);
    expect(b.status().replayed).toBeGreaterThan(0);
    const { bufferOf, flushRecorded } = await import('../../../src/runtime/webgpu/kernels/inplace.js');
    const buffer = bufferOf(w) as { size: number; usage: number };
    const pool = (tf.backend() as unknown as { bufferManager: { freeBuffers: Map<string, object[]> } }).bufferManager;
    // tfjs releases a disposed tensor's buffer at its next submit.
    const inPool = () => (flushRecorded(), (pool.freeBuffers.get(`${buffer.size}_${buffer.usage}`) ?? []).includes(buffer));
    w.dispose();
    expect(inPool()).toBe(false);
    a.dispose();
    expect(inPool()).toBe(false); // b still binds it
    b.dispose();
    expect(inPool()).toBe(true);
    assertDeviceHealthy();
  }, 60_000);
});

describe('GRPO updates through update graphs on webgpu', () => {
  /** K updates of one mini-batch with varied advantages and a KL term; through graphs or not. */
  async function updates(withGraphs: boolean, K: number) {
    const { compileFile } = await import('../../../src/compiler.js');
    const { policyUpdate } = await import('../../../src/runtime/rl/grpo.js');
    const { UpdateGraphs } = await import('../../../src/runtime/rl/update-graphs.js');
    const { bucketLength } = await import('../../../src/runtime/optim/gradient-step.js');
    const r = compileFile('test/fixtures/runtime/tiny.siri', { mode: 'compile', sets: [] });
    const base = r.ir!.nodes.find((n) => n.id === 'train.rl') as import('../../../src/ir/graph.js').IRTrain;
    const stage = { ...base, optimizer: { ...base.optimizer, grad_clip: 0.05 }, loss: { ...base.loss, kl_coef: 0.1 } };
    const m = model();
    const reference = model();
    const optimizer = new AdamW(m.params, { weightDecay: 0.01 });
    const graphs = withGraphs ? new UpdateGraphs(m, optimizer, stage) : undefined;
    const ctx = { model: m, reference, tokenizer: { pad: 0 } as never, stage, stream: undefined as never, rewards: undefined as never, optimizer };
    const rs = [5, 9, 7].map((len, i) => ({ example: undefined as never, prompt: [1, 3 + i, 4], response: Array.from({ length: len }, (_, j) => 3 + ((i * 5 + j * 3) % (V - 3))), logps: Array.from({ length: len }, (_, j) => -3.2 + 0.1 * Math.sin(i + j)), truncated: false, budget: len, text: '' }));
    const padTo = withGraphs ? bucketLength(Math.max(...rs.map((x) => x.prompt.length + x.response.length - 1)), 64) : 0;
    const out = [];
    for (let k = 0; k < K; k++) out.push(await policyUpdate(ctx, rs, [0.9, -1.1, 0.2 + 0.1 * k], 1e-2, graphs, padTo));
    assertDeviceHealthy();
    const status = graphs?.stats();
    const weights = Object.fromEntries(Object.entries(await m.exportWeights()).map(([k, t]) => [k, t.data]));
    graphs?.dispose();
    optimizer.dispose();
    reference.dispose();
    m.dispose();
    return { out, weights, status, padTo };
  }

  it('gives the eager update\'s loss, clip fraction, entropy, KL, gradient norm and weights, padded to a bucket, and replays', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    const start = tf.memory().numTensors;
    const eager = await updates(false, 6);
    const graph = await updates(true, 6);
    expect(graph.padTo).toBe(32);
    expect(graph.status?.replayed).toBeGreaterThan(0);
    // Gradients are clipped (0.05 is below every step's norm).
    expect(eager.out.every((o) => o.gradNorm > 0.05)).toBe(true);
    graph.out.forEach((o, k) => {
      for (const key of ['loss', 'clipFrac', 'entropy', 'kl', 'gradNorm'] as const) expect(Math.abs(o[key] - eager.out[k]![key]), `${key} at update ${k}`).toBeLessThan(1e-5 + 1e-4 * Math.abs(eager.out[k]![key]));
    });
    for (const [k, w] of Object.entries(eager.weights)) {
      let d = 0;
      for (let i = 0; i < w.length; i++) d = Math.max(d, Math.abs(graph.weights[k]![i]! - w[i]!));
      expect(d, k).toBeLessThan(1e-5);
    }
    expect(tf.memory().numTensors).toBe(start);
  }, 180_000);
});

describe('sampling with decode graphs on webgpu', () => {
  it('samples the tokens and log-probs of tfjs-run decode steps (greedy, sampled, top-p, top-k), and a longer sample makes no more kernel calls than one more recording (its extra steps are replayed)', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    const { sample } = await import('../../../src/runtime/rl/sampler.js');
    const { Rng } = await import('../../../src/runtime/rng.js');
    const m = model();
    const prompts = [[1, 5, 6, 9, 4], [1, 7], [1, 8, 3]];
    const engine = tf.engine();
    const runKernel = engine.runKernel.bind(engine);
    let kernels = 0;
    engine.runKernel = ((...a: unknown[]) => (kernels++, (runKernel as (...x: unknown[]) => unknown)(...a))) as typeof engine.runKernel;
    type Mode = { greedy: boolean; topP: number; topK: number };
    const counted = async (maxNew: number, mode: Mode, graphs: boolean) => {
      process.env['SIRIC_WEBGPU_GRAPHS'] = graphs ? '1' : '0';
      const k0 = kernels;
      const s = await sample(m, prompts, { maxNew, eos: -1, pad: 0, temperature: 0.8, ...mode, rng: new Rng(11) });
      return { s, kernels: kernels - k0 };
    };
    try {
      // Greedy and plain sampling choose on the device; top-p and top-k read candidates back.
      for (const greedy of [{ greedy: true, topP: 1, topK: 0 }, { greedy: false, topP: 1, topK: 0 }, { greedy: false, topP: 0.9, topK: 0 }, { greedy: false, topP: 1, topK: 5 }]) {
        const eager = await counted(16, greedy, false);
        const graphed = await counted(16, greedy, true);
        expect(graphed.s.tokens).toEqual(eager.s.tokens);
        for (let i = 0; i < prompts.length; i++) for (let j = 0; j < 16; j++) expect(Math.abs(graphed.s.logps[i]![j]! - eager.s.logps[i]![j]!)).toBeLessThan(1e-5);
        // 8 more tokens cost 8 decode steps' calls through tfjs, and at most one through a graph (a
        // longer run may record once more before two recordings agree: the pool settles at its own pace).
        const short = await counted(8, greedy, true);
        const perToken = (eager.kernels - (await counted(8, greedy, false)).kernels) / 8;
        expect(perToken).toBeGreaterThan(20);
        expect(graphed.kernels - short.kernels).toBeLessThanOrEqual(perToken);
      }
    } finally {
      engine.runKernel = runKernel;
      delete process.env['SIRIC_WEBGPU_GRAPHS'];
    }
    assertDeviceHealthy();
    m.dispose();
  }, 120_000);

  it('decode graphs and a live training graph over the same weights share their buffers: both keep replaying', async (ctx) => {
    if (unavailable) ctx.skip(`webgpu unavailable: ${unavailable}`);
    const { sample } = await import('../../../src/runtime/rl/sampler.js');
    const { Rng } = await import('../../../src/runtime/rng.js');
    const m = model();
    const opt = new AdamW(m.params, { weightDecay: 0.01 });
    const spec = { shape: [B, T], dtype: 'int32' as const };
    const g = new GradientStep({
      params: m.params,
      optimizer: opt,
      inputs: { ids: spec, pos: spec, tgt: spec },
      loss: (x) => {
        const { logits } = m.forward({ ids: x['ids'] as tf.Tensor2D, positions: x['pos'] as tf.Tensor2D, mask: buildMask([new Uint8Array(T).fill(1)], 0, T) });
        return { loss: tf.neg(tf.mean(tokenLogProbs(logits, x['tgt'] as tf.Tensor2D).logp)) as tf.Scalar };
      },
    });
    for (let s = 0; s < 5; s++) await g.run(data(s), 1e-2).loss.data();
    expect(g.status()).toMatchObject({ ready: true });
    const engine = tf.engine();
    const runKernel = engine.runKernel.bind(engine);
    let kernels = 0;
    engine.runKernel = ((...a: unknown[]) => (kernels++, (runKernel as (...x: unknown[]) => unknown)(...a))) as typeof engine.runKernel;
    const counted = async (maxNew: number, graphs: boolean) => {
      process.env['SIRIC_WEBGPU_GRAPHS'] = graphs ? '1' : '0';
      const k0 = kernels;
      const s = await sample(m, [[1, 5, 6, 9, 4], [1, 7], [1, 8, 3]], { maxNew, eos: -1, pad: 0, temperature: 1, greedy: true, topP: 1, topK: 0, rng: new Rng(3) });
      return { s, kernels: kernels - k0 };
    };
    try {
      const eager16 = await counted(16, false);
      const perToken = (eager16.kernels - (await counted(8, false)).kernels) / 8;
      const graphed16 = await counted(16, true);
      expect(graphed16.s.tokens).toEqual(eager16.s.tokens);
      // The 8 extra decode steps replay: at most one more step through tfjs than 8 new tokens cost.
      expect(graphed16.kernels - (await counted(8, true)).kernels).toBeLessThanOrEqual(perToken);
    } finally {
      engine.runKernel = runKernel;
      delete process.env['SIRIC_WEBGPU_GRAPHS'];
    }
    // The training graph was not dropped by the decode graphs: its next steps are replays.
    const before = g.status();
    for (let s = 5; s < 7; s++) await g.run(data(s), 1e-2).loss.data();
    expect(g.status()).toMatchObject({ ready: true, eager: before.eager, replayed: before.replayed + 2 });
    assertDeviceHealthy();
    g.dispose();
    opt.dispose();
    m.dispose();
  }, 120_000);
});
