// The tiled WGSL matmul (BatchMatMul@webgpu): every configuration the device can run against a plain
// JavaScript matmul, over shapes that are and are not multiples of the tiles (scalar and vec4
// loads, bounds-checked and not), all four transpose layouts, batches and batch broadcasting, and
// the matMul gradient through the registered kernel. On a machine without a GPU this runs on Dawn's
// OpenGL ES backend over Mesa's software rasteriser (SIRIC_WEBGPU_ADAPTER=gles): slow, so the shapes
// are small and each configuration compiles few shader variants.
process.env['SIRIC_WEBGPU_ADAPTER'] ??= 'gles';

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels, releaseBackend, selectBackend } from '../../../src/runtime/backend.js';
import { BYTES_PER_US, SUBMIT_BATCH, SUBMIT_GPU_US } from '../../../src/runtime/webgpu/kernels/submit.js';
import {
  WEBGPU_MATMUL_CONFIGS,
  autoConfig,
  configMisfit,
  describeProblem,
  getWebgpuMatmulConfig,
  planFor,
  planWebgpuMatmul,
  registerWebgpuKernels,
  setWebgpuMatmulConfig,
  webgpuMatmulCalls,
  webgpuMatmulSource,
  type MatmulConfig,
  type MatmulLimits,
} from '../../../src/runtime/webgpu/kernels/matmul.js';

// ---------- a reference matmul with tfjs's broadcasting semantics ----------

let seed = 12345;
function randomArray(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    v[i] = seed / 2 ** 32 - 0.5;
  }
  return v;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** C = op(A)·op(B) over broadcast outer dimensions (a size-1 dimension repeats), in float64. */
function refMatmul(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean): { out: Float64Array; shape: number[] } {
  const ra = aShape.length;
  const rb = bShape.length;
  const m = ta ? aShape[ra - 1]! : aShape[ra - 2]!;
  const k = ta ? aShape[ra - 2]! : aShape[ra - 1]!;
  const n = tb ? bShape[rb - 2]! : bShape[rb - 1]!;
  const oa = aShape.slice(0, -2);
  const ob = bShape.slice(0, -2);
  const rank = Math.max(oa.length, ob.length);
  const pa = [...new Array<number>(rank - oa.length).fill(1), ...oa];
  const pb = [...new Array<number>(rank - ob.length).fill(1), ...ob];
  const outer = pa.map((d, i) => Math.max(d, pb[i]!));
  const out = new Float64Array(prod(outer) * m * n);
  const idx = new Array<number>(rank).fill(0);
  for (let bi = 0; bi < prod(outer); bi++) {
    let r = bi;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = r % outer[d]!;
      r = Math.floor(r / outer[d]!);
    }
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia = ia * pa[d]! + (pa[d] === 1 ? 0 : idx[d]!);
      ib = ib * pb[d]! + (pb[d] === 1 ? 0 : idx[d]!);
    }
    const offA = ia * m * k;
    const offB = ib * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[offA + (ta ? p * m + i : i * k + p)]! * b[offB + (tb ? j * k + p : p * n + j)]!;
        out[bi * m * n + i * n + j] = s;
      }
  }
  return { out, shape: [...outer, m, n] };
}

/** max |got − want| over max(1, max |want|). */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let d = 0;
  let s = 1;
  for (let i = 0; i < want.length; i++) {
    const x = Math.abs(got[i]! - want[i]!);
    d = Number.isNaN(x) ? Infinity : Math.max(d, x);
    s = Math.max(s, Math.abs(want[i]!));
  }
  return d / s;
}

const aShapeOf = (batch: number[], m: number, k: number, ta: boolean): number[] => [...batch, ...(ta ? [k, m] : [m, k])];
const bShapeOf = (batch: number[], k: number, n: number, tb: boolean): number[] => [...batch, ...(tb ? [n, k] : [k, n])];

interface Case {
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
  batchA?: number[];
  batchB?: number[];
}

/** Runs a case on the webgpu backend with the current configuration; returns the relative error. */
async function check(c: Case): Promise<number> {
  const aShape = aShapeOf(c.batchA ?? [], c.m, c.k, c.ta);
  const bShape = bShapeOf(c.batchB ?? [], c.k, c.n, c.tb);
  const av = randomArray(prod(aShape));
  const bv = randomArray(prod(bShape));
  const want = refMatmul(av, aShape, bv, bShape, c.ta, c.tb);
  const a = tf.tensor(av, aShape);
  const b = tf.tensor(bv, bShape);
  const out = tf.matMul(a, b, c.ta, c.tb);
  try {
    expect(out.shape).toEqual(want.shape);
    return relErr((await out.data()) as Float32Array, want.out);
  } finally {
    tf.dispose([a, b, out]);
  }
}

const calls = (name: string): number => webgpuMatmulCalls.get(name) ?? 0;

// ---------- what needs no GPU ----------

const H100: MatmulLimits = { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024, maxComputeWorkgroupStorageSize: 49152, maxComputeWorkgroupsPerDimension: 65535 };
const SMALL: MatmulLimits = { maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupSizeX: 128, maxComputeWorkgroupStorageSize: 16384, maxComputeWorkgroupsPerDimension: 65535 };

describe('webgpu matmul planning', () => {
  it('reduces BatchMatMul shapes to (batch, M, N, K) with tfjs broadcasting', () => {
    expect(describeProblem([64, 128, 64], [64, 64, 128], false, false)).toMatchObject({ m: 128, n: 128, k: 64, batch: 64, batchA: 64, batchB: 64, outShape: [64, 128, 128] });
    expect(describeProblem([8192, 64], [256, 64], false, true)).toMatchObject({ m: 8192, n: 256, k: 64, batch: 1, outShape: [8192, 256] });
    expect(describeProblem([3, 7, 5], [7, 4], true, false)).toMatchObject({ m: 5, n: 4, k: 7, batch: 3, batchA: 3, batchB: 1 });
    expect(describeProblem([2, 3, 4, 5], [3, 5, 6], false, false)).toMatchObject({ batch: 6, batchA: 6, batchB: 3, outShape: [2, 3, 4, 6] });
    expect(describeProblem([1, 4, 5], [3, 5, 6], false, false)).toMatchObject({ batch: 3, batchA: 1, batchB: 3 });
    // not by repetition: left to the builtin
    expect(describeProblem([2, 1, 4, 5], [1, 3, 5, 6], false, false)).toBeUndefined();
    expect(describeProblem([3, 1, 4, 5], [3, 5, 6], false, false)).toBeUndefined();
    // mismatched inner dimensions: the builtin raises tfjs's error
    expect(describeProblem([4, 5], [6, 7], false, false)).toBeUndefined();
  });

  it('checks configurations against device limits', () => {
    const big = WEBGPU_MATMUL_CONFIGS.find((c) => c.name === 'm128n128k16t8x8')!;
    expect(configMisfit(big, H100)).toBeUndefined();
    expect(configMisfit(big, SMALL)).toMatch(/256 threads/);
    expect(configMisfit(WEBGPU_MATMUL_CONFIGS.find((c) => c.name === 'm64n64k16t8x4')!, SMALL)).toBeUndefined();
  });

  it("'auto' takes big tiles for big outputs, smaller ones for few tiles, the builtin for tiny ones or a short K", () => {
    const plan = (a: number[], b: number[], tb = false, l = H100): string => autoConfig(describeProblem(a, b, false, tb)!, l)?.name ?? 'builtin';
    expect(plan([4096, 4096], [4096, 4096])).toBe('m128n128k16t8x8');
    expect(plan([8192, 512], [2048, 512], true)).toBe('m128n128k16t8x8');
    // 1024²: 256 plain 64×64 tiles rather than 64 big ones split over K
    expect(plan([1024, 1024], [1024, 1024])).toBe('m64n64k16t4x4');
    expect(planWebgpuMatmul(describeProblem([1024, 1024], [1024, 1024], false, false), H100, 'auto')!.splitK).toBe(1);
    // a weight gradient (K = 8192 ≫ the output) does split
    expect(planWebgpuMatmul(describeProblem([8192, 512], [8192, 2048], true, false), H100, 'auto')!.splitK).toBeGreaterThan(1);
    // K = 64 (projections of a d = 64 model, attention over 64-wide heads): the builtin was faster
    expect(plan([8192, 64], [256, 64], true)).toBe('builtin');
    expect(plan([64, 128, 64], [64, 64, 128])).toBe('builtin');
    expect(plan([1, 4096], [4096, 4096])).toBe('builtin');
    expect(plan([8, 8], [8, 8])).toBe('builtin');
    // only what fits a small device
    expect(plan([4096, 4096], [4096, 4096], false, SMALL)).toBe('m64n64k16t8x4');
  });

  it('splits a long K over more workgroups when the output has few tiles', () => {
    const c = WEBGPU_MATMUL_CONFIGS.find((x) => x.name === 'm64n64k16t4x4')!;
    // the weight gradient xᵀ·dy of a [8192,64]·[64,256] projection: 4 output tiles, K = 8192
    const p = describeProblem([8192, 64], [8192, 256], true, false)!;
    const plan = planFor(c, p);
    expect(plan.splitK).toBeGreaterThan(1);
    expect(plan.kPerSplit % c.bk).toBe(0);
    expect(plan.kPerSplit).toBeGreaterThanOrEqual(256);
    expect((plan.splitK - 1) * plan.kPerSplit).toBeLessThan(p.k); // no empty slice
    expect(plan.splitK * plan.kPerSplit).toBeGreaterThanOrEqual(p.k);
    // enough tiles already, or a short K: no split
    expect(planFor(c, describeProblem([4096, 4096], [4096, 4096], false, false)!).splitK).toBe(1);
    expect(planFor(c, describeProblem([64, 300], [300, 64], false, false)!).splitK).toBe(1);
  });

  it('rejects unknown configuration names', () => {
    expect(() => setWebgpuMatmulConfig('m1n1k1')).toThrow(/unknown webgpu matmul configuration/);
    expect(getWebgpuMatmulConfig()).toBeTypeOf('string');
  });

  it('generates WGSL without bounds checks when the shape fits the tile', () => {
    const c = WEBGPU_MATMUL_CONFIGS[0]!;
    const fit = webgpuMatmulSource(c, describeProblem([256, 256], [256, 256], false, false)!);
    const ragged = webgpuMatmulSource(c, describeProblem([250, 256], [256, 250], false, false)!);
    expect(fit).not.toMatch(/< M/);
    expect(ragged).toMatch(/< M/);
    expect(fit).toMatch(/workgroupBarrier/);
  });
});

// ---------- on a WebGPU device ----------

let gpuReason: string | undefined;
let limits: MatmulLimits | undefined;

beforeAll(async () => {
  try {
    await selectBackend('webgpu');
    registerWebgpuKernels();
    limits = (tf.backend() as unknown as { device: { limits: MatmulLimits } }).device.limits;
  } catch (e) {
    gpuReason = String((e as Error)?.message ?? e).split('\n')[0];
  }
}, 60_000);

afterAll(async () => {
  setWebgpuMatmulConfig('auto');
  await releaseBackend();
});

const fitting = (): MatmulConfig[] => WEBGPU_MATMUL_CONFIGS.filter((c) => limits !== undefined && configMisfit(c, limits) === undefined);
/** A small configuration that compiles fast on the software device (else the smallest that fits). */
const small = (): MatmulConfig => fitting().find((c) => c.name === 'm64n64k16t4x4') ?? fitting()[fitting().length - 1]!;

describe('webgpu matmul on a device', () => {
  it('has a WebGPU device (else the device tests below pass vacuously; see the reason)', (ctx) => {
    if (gpuReason) {
      ctx.skip(`no WebGPU device: ${gpuReason}`);
      return;
    }
    expect(tf.getBackend()).toBe('webgpu');
    expect(fitting().length).toBeGreaterThan(0);
  });

  it('registration is idempotent and captured the builtin', (ctx) => {
    if (gpuReason) return ctx.skip(`no WebGPU device: ${gpuReason}`);
    expect(registerWebgpuKernels()).toEqual([]);
    expect(registerTrainingKernels()).toEqual([]);
    expect(tf.getKernel(tf.BatchMatMul, 'webgpu')?.kernelFunc.name).toBe('batchMatMulWebgpu');
  });

  // Per configuration, one case per transpose layout, mixing vec4 and scalar bindings and ragged
  // edges, plus one that fits every tile (the unchecked path): few shader variants, as each costs
  // a compile on the software device.
  const perConfig: Case[] = [
    { m: 130, n: 70, k: 200, ta: false, tb: false }, // A vec4, B and C scalar
    { m: 65, n: 33, k: 129, ta: false, tb: true, batchA: [3], batchB: [3] }, // all scalar
    { m: 68, n: 36, k: 132, ta: true, tb: false, batchA: [3], batchB: [3] }, // all vec4, ragged
    { m: 130, n: 70, k: 200, ta: true, tb: true }, // A scalar, B vec4
    { m: 128, n: 256, k: 64, ta: false, tb: false }, // fits every configuration's tile
  ];
  for (const c of WEBGPU_MATMUL_CONFIGS) {
    it(`${c.name}: equals the reference in each layout`, async (ctx) => {
      if (gpuReason) return ctx.skip(`no WebGPU device: ${gpuReason}`);
      if (configMisfit(c, limits!)) return ctx.skip(`${c.name} does not fit this device: ${configMisfit(c, limits!)}`);
      setWebgpuMatmulConfig(c.name);
      const before = calls(c.name);
      for (const x of perConfig) expect(await check(x), JSON.stringify(x)).toBeLessThan(1e-5);
      expect(calls(c.name) - before).toBe(perConfig.length);
    });
  }

  it('a small configuration over all shapes × layouts × batch 1 and 3', async (ctx) => {
    if (gpuReason) return ctx.skip(`no WebGPU device: ${gpuReason}`);
    const c = small();
    setWebgpuMatmulConfig(c.name);
    const before = calls(c.name);
    let n = 0;
    for (const [m, nn, k] of [
      [1, 1, 1],
      [3, 5, 7],
      [65, 33, 129],
      [130, 70, 200],
      [36, 40, 20],
    ] as const)
      for (const ta of [false, true])
        for (const tb of [false, true])
          for (const batch of [[], [3]]) {
            expect(await check({ m, n: nn, k, ta, tb, batchA: batch, batchB: batch }), JSON.stringify({ m, nn, k, ta, tb, batch })).toBeLessThan(1e-5);
            n++;
          }
    expect(calls(c.name) - before).toBe(n);
  }, 120_000);

  it('broadcasts batches the way tfjs does', async (ctx) => {
    if (gpuReason) return ctx.skip(`no WebGPU device: ${gpuReason}`);
    const c = small();
    setWebgpuMatmulConfig(c.name);
    const before = calls(c.name);
    const cases: Case[] = [
      { m: 9, n: 11, k: 13, ta: false, tb: false, batchA: [1], batchB: [3] },
      { m: 9, n: 11, k: 13, ta: true, tb: false, batchA: [], batchB: [3] },
      { m: 9, n: 12, k: 16, ta: false, tb: true, batchA: [3], batchB: [] },
      { m: 9, n: 11, k: 13, ta: false, tb: false, batchA: [2, 3], batchB: [3] },
      { m: 9, n: 11, k: 13, ta: true, tb: true, batchA: [2, 3], batchB: [1, 1] },
    ];
    for (const x of cases) expect(await check(x), JSON.stringify(x)).toBeLessThan(1e-5);
    expect(calls(c.name) - before).toBe(cases.length);
  });

  it('split-K: slices of K summed in a fixed order, the same bits every time', async (ctx) => {
    if (gpuReason) return ctx.skip(`no WebGPU device: ${gpuReason}`);
    const c = small();
    setWebgpuMatmulConfig(c.name);
    const cases: Case[] = [
      { m: 20, n: 24, k: 1100, ta: true, tb: false },
      { m: 17, n: 9, k: 777, ta: false, tb: true, batchA: [2], batchB: [2] },
      { m: 33, n: 40, k: 1024, ta: false, tb: false, batchA: [], batchB: [3] },
    ];
    for (const x of cases) {
      expect(planFor(c, describeProblem(aShapeOf(x.batchA ?? [], x.m, x.k, x.ta), bShapeOf(x.batchB ?? [], x.k, x.n, x.tb), x.ta, x.tb)!).splitK, JSON.stringify(x)).toBeGreaterThan(1);
      expect(await check(x), JSON.stringify(x)).toBeLessThan(1e-5);
    }
    const a = tf.tensor(randomArray(1100 * 20), [1100, 20]);
    const b = tf.tensor(randomArray(1100 * 24), [1100, 24]);
    const r1 = tf.matMul(a, b, true, false);
    const r2 = tf.matMul(a, b, true, false);
    expect(Array.from((await r1.data()) as Float32Array)).toEqual(Array.from((await r2.data()) as Float32Array));
    tf.dispose([a, b, r1, r2]);
  });

  it("'builtin' and the fallbacks go to tfjs's own kernel, and give the same results", async (ctx) => {
    if (gpuReason) return ctx.skip(`no WebGPU device: ${gpuReason}`);
    setWebgpuMatmulConfig('builtin');
    let before = calls('builtin');
    expect(await check({ m: 20, n: 24, k: 28, ta: true, tb: false, batchA: [2], batchB: [2] })).toBeLessThan(1e-5);
    expect(calls('builtin') - before).toBe(1);
    // int32 is not ours
    setWebgpuMatmulConfig(fitting()[0]!.name);
    before = calls('builtin');
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const p = tf.matMul(a, a);
    expect(Array.from(await p.data())).toEqual([7, 10, 15, 22]);
    tf.dispose([a, p]);
    expect(calls('builtin') - before).toBe(1);
  });

  it('the gradient of sum(matMul(a, b)) runs through the kernel and equals the reference', async (ctx) => {
    if (gpuReason) return ctx.skip(`no WebGPU device: ${gpuReason}`);
    const c = small();
    setWebgpuMatmulConfig(c.name);
    const [B, M, K, N] = [2, 17, 23, 19];
    const av = randomArray(B * M * K);
    const bv = randomArray(B * K * N);
    const a = tf.tensor3d(av, [B, M, K]);
    const b = tf.tensor3d(bv, [B, K, N]);
    const before = calls(c.name);
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)));
    const [da, db] = g([a, b]);
    // d/da = 1·bᵀ: each row of da[b] holds b[b]'s row sums; d/db = aᵀ·1: each column holds a[b]'s column sums.
    const ones = new Float32Array(B * M * N).fill(1);
    const wantA = refMatmul(ones, [B, M, N], bv, [B, K, N], false, true);
    const wantB = refMatmul(av, [B, M, K], ones, [B, M, N], true, false);
    expect(da!.shape).toEqual([B, M, K]);
    expect(db!.shape).toEqual([B, K, N]);
    expect(relErr((await da!.data()) as Float32Array, wantA.out)).toBeLessThan(1e-5);
    expect(relErr((await db!.data()) as Float32Array, wantB.out)).toBeLessThan(1e-5);
    // the forward and both gradient matmuls
    expect(calls(c.name) - before).toBe(3);
    tf.dispose([a, b, da!, db!]);
  });

  it('submits once the recorded kernels amount to enough estimated GPU time, and not before (the submit policy)', async (ctx) => {
    if (gpuReason) return ctx.skip(`no WebGPU device: ${gpuReason}`);
    setWebgpuMatmulConfig('auto');
    const queue = (tf.backend() as unknown as { queue: { submit: (c: unknown) => void } }).queue;
    const submit = queue.submit.bind(queue);
    let submits = 0;
    queue.submit = (c: unknown) => (submits++, submit(c));
    try {
      const x = tf.fill([4096, 4096], 0); // made on the device: 64 MB
      const light = [tf.randomUniform([64, 96]), tf.randomUniform([96, 64])] as const;
      await Promise.all([x, ...light].map((t) => t.data())); // everything recorded so far is submitted
      submits = 0;
      const l = tf.matMul(light[0], light[1]);
      expect(submits).toBe(0); // 16 KB out, 0.8 MFLOP: left with the batch
      // Each add writes 64 MB, about 45 µs at HBM speed: the n-th passes the threshold.
      const n = Math.ceil(SUBMIT_GPU_US / ((4 * 4096 * 4096) / BYTES_PER_US) + 1e-9);
      expect(n).toBeLessThan(SUBMIT_BATCH); // the estimate, not the dispatch count, decides here
      const ys: tf.Tensor[] = [];
      for (let i = 1; i < n; i++) ys.push(tf.add(x, i));
      expect(submits).toBe(0);
      ys.push(tf.add(x, n));
      expect(submits).toBe(1);
      tf.dispose([x, ...light, l, ...ys]);
    } finally {
      queue.submit = submit;
    }
  });
});
