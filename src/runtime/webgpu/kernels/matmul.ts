// A register-blocked float32 matmul for tfjs's webgpu backend (BatchMatMul@webgpu). tfjs 4.22's own
// programs tile 32×32 with 4×4 per thread and reach a fraction of what an H100/H200 does in fp32;
// this one tiles bm×bn per workgroup, bk of K at a time through workgroup memory (A stored
// transposed, so the inner loop reads vec4s of both operands), each thread accumulating tm×tn
// outputs in registers, with the next K-slice prefetched into registers while the current one is
// multiplied. All four transposeA/transposeB layouts are read natively (vec4 global loads along
// whichever dimension is contiguous, when it is a multiple of 4); batch dimensions broadcast the
// way tfjs's builtin does it (by repetition: see describeProblem). Everything else (other dtypes,
// other broadcasts, empty shapes, rank > 6, configurations the device cannot run, and under 'auto'
// tiny or skinny outputs) goes to the builtin.
//
// Choosing: setWebgpuMatmulConfig(name | 'auto' | 'builtin'), or env SIRIC_WEBGPU_MATMUL (read on
// first use). 'auto' (the default) picks per shape from the configurations the device can run.

import * as tf from '@tensorflow/tfjs';
import { noteMatmulFlops } from './submit.js';

// ---------- configurations ----------

export interface MatmulConfig {
  name: string;
  /** Output tile per workgroup: bm rows × bn columns. */
  bm: number;
  bn: number;
  /** Slice of K staged in workgroup memory per step. */
  bk: number;
  /** Outputs per thread: tm rows × tn columns (both multiples of 4: held as vec4s). */
  tm: number;
  tn: number;
  /** Emit the bk loop unrolled (more code, no loop overhead; the driver may unroll anyway). */
  unroll: boolean;
  /** Launch order of tiles: groups of this many tile rows walked column-major, for L2 reuse (≤ 1: off). */
  swizzle: number;
  /** Two workgroup-memory buffers: the next slice is stored while this one is read, one barrier a step. */
  doubleBuffer: boolean;
}

const cfg = (bm: number, bn: number, bk: number, tm: number, tn: number, o: { unroll?: boolean; swizzle?: number; doubleBuffer?: boolean; suffix?: string } = {}): MatmulConfig => ({
  name: `m${bm}n${bn}k${bk}t${tm}x${tn}${o.suffix ?? ''}`,
  bm,
  bn,
  bk,
  tm,
  tn,
  unroll: o.unroll ?? true,
  swizzle: o.swizzle ?? 8,
  doubleBuffer: o.doubleBuffer ?? false,
});

/** The registry, biggest tiles first (the order 'auto' prefers them in). */
export const WEBGPU_MATMUL_CONFIGS: readonly MatmulConfig[] = [
  cfg(128, 128, 16, 8, 8), // 256 threads, 16 KiB
  cfg(128, 128, 8, 8, 8), // 256 threads, 8 KiB
  cfg(128, 128, 32, 8, 8), // 256 threads, 32 KiB
  cfg(128, 128, 16, 8, 8, { unroll: false, suffix: '-loop' }),
  cfg(128, 128, 16, 8, 8, { swizzle: 1, suffix: '-noswz' }),
  cfg(128, 128, 16, 8, 8, { doubleBuffer: true, suffix: '-db' }), // 32 KiB
  cfg(128, 128, 8, 8, 8, { doubleBuffer: true, suffix: '-db' }), // 16 KiB
  cfg(128, 256, 16, 8, 16), // 256 threads, 24 KiB, 128 accumulators a thread (register-heavy)
  cfg(128, 64, 16, 8, 4), // 256 threads, 12 KiB
  cfg(64, 64, 16, 4, 4), // 256 threads, 8 KiB
  cfg(64, 64, 16, 8, 4), // 128 threads, 8 KiB
  cfg(32, 32, 32, 4, 4), // 64 threads, 8 KiB
];

/** The configurations 'auto' chooses among, in order of preference. */
const AUTO_ORDER = ['m128n128k16t8x8', 'm128n64k16t8x4', 'm64n64k16t4x4', 'm64n64k16t8x4', 'm32n32k32t4x4'];
/** 'auto' takes the first configuration in AUTO_ORDER that launches at least this many workgroups. */
const AUTO_MIN_WORKGROUPS = 256;

export function findWebgpuMatmulConfig(name: string): MatmulConfig | undefined {
  return WEBGPU_MATMUL_CONFIGS.find((c) => c.name === name);
}

export const threadsOf = (c: MatmulConfig): number => (c.bm / c.tm) * (c.bn / c.tn);
/** Workgroup memory in bytes: the A and B slices. */
export const sharedBytesOf = (c: MatmulConfig): number => 4 * c.bk * (c.bm + c.bn) * (c.doubleBuffer ? 2 : 1);

/** The GPUSupportedLimits fields that decide whether a configuration can run. */
export interface MatmulLimits {
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** Why a configuration cannot run on a device with these limits (undefined: it can). */
export function configMisfit(c: MatmulConfig, limits: MatmulLimits): string | undefined {
  const t = threadsOf(c);
  if (t > limits.maxComputeInvocationsPerWorkgroup || t > limits.maxComputeWorkgroupSizeX) return `${t} threads per workgroup > device limit ${Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)}`;
  const s = sharedBytesOf(c);
  if (s > limits.maxComputeWorkgroupStorageSize) return `${s} bytes of workgroup memory > device limit ${limits.maxComputeWorkgroupStorageSize}`;
  return undefined;
}

/** Internal consistency of a configuration (checked once for the registry; a bug if it fails). */
function validateConfig(c: MatmulConfig): void {
  const t = threadsOf(c);
  const ok =
    c.tm % 4 === 0 &&
    c.tn % 4 === 0 &&
    c.bm % c.tm === 0 &&
    c.bn % c.tn === 0 &&
    c.bk % 4 === 0 &&
    // every thread loads the same number of vec4s of each slice, in either layout
    ((c.bm * c.bk) / 4) % t === 0 &&
    ((c.bn * c.bk) / 4) % t === 0 &&
    // a row of a slice is covered by whole threads, for vec4 and for scalar loads
    t % c.bk === 0 &&
    t % c.bm === 0 &&
    t % c.bn === 0;
  if (!ok) throw new Error(`webgpu matmul config ${c.name} is inconsistent`);
}
for (const c of WEBGPU_MATMUL_CONFIGS) validateConfig(c);

// ---------- selection ----------

export type MatmulChoice = string; // a config name, 'auto' or 'builtin'

let choice: MatmulChoice | undefined;

function checkChoice(name: string): MatmulChoice {
  if (name === 'auto' || name === 'builtin' || findWebgpuMatmulConfig(name)) return name;
  throw new Error(`unknown webgpu matmul configuration \`${name}\`; one of auto, builtin, ${WEBGPU_MATMUL_CONFIGS.map((c) => c.name).join(', ')}`);
}

/** Which kernel BatchMatMul@webgpu uses from now on: a configuration name, 'auto' or 'builtin'. */
export function setWebgpuMatmulConfig(name: MatmulChoice): void {
  choice = checkChoice(name);
}

/** The current choice (env SIRIC_WEBGPU_MATMUL, else 'auto', until set). */
export function getWebgpuMatmulConfig(): MatmulChoice {
  if (choice === undefined) choice = checkChoice(process.env['SIRIC_WEBGPU_MATMUL']?.trim() || 'auto');
  return choice;
}

// ---------- the problem ----------

/** A BatchMatMul reduced to what the kernel needs; undefined when it must go to the builtin. */
export interface MatmulProblem {
  m: number;
  n: number;
  k: number;
  /** Output batches (the product of the broadcast outer dimensions). */
  batch: number;
  /** Batches of A / B: output batch i reads A's batch i % batchA (see describeProblem). */
  batchA: number;
  batchB: number;
  transposeA: boolean;
  transposeB: boolean;
  outShape: number[];
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Whether an operand's outer dimensions broadcast to the output's by repetition: without their
 * leading 1s they are the output's trailing outer dimensions, so output batch i (row-major) reads
 * the operand's batch i % its batch count. This covers equal shapes, a single batch, and a
 * lower-rank operand ([3,M,K]·[K,N], [2,3,M,K]·[3,K,N]); tfjs's builtin indexes batches the same way.
 */
function broadcastsByRepetition(outer: readonly number[], out: readonly number[]): boolean {
  let i = 0;
  while (i < outer.length && outer[i] === 1) i++;
  const rest = outer.slice(i);
  const tail = out.slice(out.length - rest.length);
  return rest.length <= out.length && rest.every((d, j) => d === tail[j]);
}

export function describeProblem(aShape: readonly number[], bShape: readonly number[], transposeA: boolean, transposeB: boolean): MatmulProblem | undefined {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || rb < 2 || ra > 6 || rb > 6) return undefined; // tfjs's shader preamble stops at rank 6
  const m = transposeA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const kA = transposeA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const kB = transposeB ? bShape[rb - 1]! : bShape[rb - 2]!;
  const n = transposeB ? bShape[rb - 2]! : bShape[rb - 1]!;
  if (kA !== kB) return undefined; // the builtin raises tfjs's own error
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  const rank = Math.max(outerA.length, outerB.length);
  const outer: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = outerA[outerA.length - rank + i] ?? 1;
    const db = outerB[outerB.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    outer.push(Math.max(da, db));
  }
  if (!broadcastsByRepetition(outerA, outer) || !broadcastsByRepetition(outerB, outer)) return undefined;
  return { m, n, k: kA, batch: prod(outer), batchA: prod(outerA), batchB: prod(outerB), transposeA, transposeB, outShape: [...outer, m, n] };
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
export const workgroupsOf = (c: MatmulConfig, p: MatmulProblem): number => ceilDiv(p.m, c.bm) * ceilDiv(p.n, c.bn) * p.batch;

/** Whether this configuration can run this problem on this device. */
export function configRuns(c: MatmulConfig, p: MatmulProblem, limits: MatmulLimits): boolean {
  if (configMisfit(c, limits)) return false;
  const maxD = limits.maxComputeWorkgroupsPerDimension;
  return ceilDiv(p.n, c.bn) <= maxD && ceilDiv(p.m, c.bm) <= maxD && p.batch * splitKFor(c, p) <= maxD;
}

/** How a problem runs: a configuration, and into how many slices of K it is split. */
export interface MatmulPlan {
  config: MatmulConfig;
  /**
   * > 1: too few output tiles to fill the GPU but a long K (weight gradients xᵀ·dy: K = tokens),
   * so each slice of K goes to its own workgroups, writing partial sums that a second program adds
   * up in a fixed order (deterministic, unlike tfjs's atomic split-K).
   */
  splitK: number;
  /** K per slice (a multiple of bk). */
  kPerSplit: number;
}

/** Each slice of K is at least this long (shorter ones spend more on partial sums than they gain). */
const MIN_SPLIT_K = 256;
/** Partial sums stay under this many floats (128 MiB). */
const MAX_PARTIALS = 2 ** 25;

export function splitKFor(c: MatmulConfig, p: MatmulProblem): number {
  const wg = workgroupsOf(c, p);
  if (wg >= AUTO_MIN_WORKGROUPS || p.k < 2 * MIN_SPLIT_K) return 1;
  const out = p.batch * p.m * p.n;
  const s = Math.max(1, Math.min(ceilDiv(AUTO_MIN_WORKGROUPS, wg), Math.floor(p.k / MIN_SPLIT_K), Math.floor(MAX_PARTIALS / out)));
  return s <= 1 ? 1 : ceilDiv(p.k, kPerSplitFor(c, p, s)); // no empty slices
}

const kPerSplitFor = (c: MatmulConfig, p: MatmulProblem, s: number): number => ceilDiv(ceilDiv(p.k, s), c.bk) * c.bk;

export function planFor(c: MatmulConfig, p: MatmulProblem, allowSplit = true): MatmulPlan {
  const splitK = allowSplit ? splitKFor(c, p) : 1;
  return { config: c, splitK, kPerSplit: splitK > 1 ? kPerSplitFor(c, p, splitK) : p.k };
}

/**
 * The configuration 'auto' uses for a problem (undefined: the builtin). Tiny or skinny outputs stay
 * with the builtin (its reduce/small-output programs suit them); otherwise the biggest tile that
 * launches AUTO_MIN_WORKGROUPS workgroups (counting split-K slices), else the one launching the most.
 */
export function autoConfig(p: MatmulProblem, limits: MatmulLimits): MatmulConfig | undefined {
  if (Math.min(p.m, p.n) < 16 || p.batch * p.m * p.n <= 4096) return undefined;
  // A short K leaves a big tile too little work per load (measured on an H100: [8192,64]·[64,256]
  // took 0.09 ms with the builtin, 0.19–0.6 ms with every tile here; batched attention products
  // with K ≤ 128 and 128×128 outputs were even).
  if (p.k <= SHORT_K) return undefined;
  const runnable = AUTO_ORDER.map((n) => findWebgpuMatmulConfig(n)).filter((c): c is MatmulConfig => c !== undefined && configRuns(c, p, limits));
  if (runnable.length === 0) return undefined;
  const splits = autoSplits(p);
  const launched = (c: MatmulConfig): number => workgroupsOf(c, p) * (splits ? splitKFor(c, p) : 1);
  return runnable.find((c) => launched(c) >= AUTO_MIN_WORKGROUPS) ?? runnable.reduce((best, c) => (launched(c) > launched(best) ? c : best));
}

/**
 * Whether 'auto' splits K: only where K dwarfs the output (weight gradients). On an H100, 1024²
 * as 64 tiles split 4 ways reached 7.7 TFLOP/s, as 256 plain 64×64 tiles 10.7.
 */
export const autoSplits = (p: MatmulProblem): boolean => p.k > 2 * Math.max(p.m, p.n);

/** K at or below which 'auto' keeps tfjs's own kernel. */
const SHORT_K = 64;

// ---------- the WGSL program ----------

/** The program shape tfjs-backend-webgpu's runWebGPUProgram compiles and dispatches. */
export interface WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  /** Element width of each input's binding (array<f32> or array<vec4<f32>>). */
  variableComponents?: number[];
  /** Element width of the output binding. */
  outputComponent?: number;
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode(): string;
}

/** Compile-time facts about one call's shapes that change the generated code. */
interface Variant {
  transposeA: boolean;
  transposeB: boolean;
  /** vec4 width of A's / B's / C's bindings (4 when their contiguous dimension is a multiple of 4). */
  cA: 1 | 4;
  cB: 1 | 4;
  cC: 1 | 4;
  /** M, N, K are multiples of bm, bn, bk: no bounds checks. */
  fitM: boolean;
  fitN: boolean;
  fitK: boolean;
}

function variantOf(c: MatmulConfig, p: MatmulProblem, splitK: number, kPerSplit: number): Variant {
  const w = (x: number): 1 | 4 => (x % 4 === 0 ? 4 : 1);
  return {
    transposeA: p.transposeA,
    transposeB: p.transposeB,
    cA: w(p.transposeA ? p.m : p.k),
    cB: w(p.transposeB ? p.k : p.n),
    cC: w(p.n),
    fitM: p.m % c.bm === 0,
    fitN: p.n % c.bn === 0,
    fitK: p.k % c.bk === 0 && splitK * kPerSplit === p.k,
  };
}

/**
 * The code that loads one operand's bk-slice from global memory into registers (`load`) and from
 * registers into workgroup memory (`store`). The operand's tile is `outer` (bm or bn) by bk; in
 * global memory either K is contiguous (A, or Bᵀ) or the outer dimension is (Aᵀ, or B). Workgroup
 * memory holds it as [bk][outer] in vec4s, the layout the multiply loop reads.
 */
function operandCode(op: 'A' | 'B', outer: number, c: MatmulConfig, threads: number, kContiguous: boolean, comp: 1 | 4, fitOuter: boolean, fitK: boolean): { decl: string; load: string; store: (off: string) => string } {
  const name = op.toLowerCase();
  const sh = `${op}s`;
  const dimOuter = op === 'A' ? 'M' : 'N';
  const outerBase = op === 'A' ? 'rowBase' : 'colBase';
  const base = `${name}Base`;
  const rowsG = kContiguous ? outer : c.bk; // the slice as it lies in global memory
  const colsG = kContiguous ? c.bk : outer;
  const perRow = colsG / comp;
  const perThread = (rowsG * perRow) / threads;
  const rowStep = threads / perRow; // rows between a thread's successive loads (threads % perRow == 0)
  const type = comp === 4 ? 'vec4<f32>' : 'f32';
  const decl: string[] = [];
  const load: string[] = [`{`, `  let r0 = tid / ${perRow};`, `  let c0 = (tid % ${perRow}) * ${comp};`];
  const store: string[] = [`{`, `  let r0 = tid / ${perRow};`, `  let c0 = (tid % ${perRow}) * ${comp};`];
  for (let l = 0; l < perThread; l++) {
    const reg = `${name}r${l}`;
    decl.push(`var ${reg} : ${type};`);
    const r = `(r0 + ${l * rowStep})`;
    // Coordinates in (outer, k) of the first element this load covers.
    const o = kContiguous ? r : 'c0';
    const kk = kContiguous ? 'c0' : r;
    const go = `${outerBase} + ${o}`;
    const gk = `k0 + ${kk}`;
    const conds: string[] = [];
    // With comp 4 the contiguous dimension is a multiple of 4, so the first element decides.
    if (!fitOuter) conds.push(`${go} < ${dimOuter}`);
    if (!fitK) conds.push(`${gk} < K`);
    const flat = kContiguous ? `${base} + (${go}) * K + ${gk}` : `${base} + (${gk}) * ${dimOuter} + ${go}`;
    const idx = comp === 4 ? `(${flat}) / 4` : flat;
    if (conds.length === 0) load.push(`  ${reg} = ${op}[${idx}];`);
    else load.push(`  if (${conds.join(' && ')}) { ${reg} = ${op}[${idx}]; } else { ${reg} = ${type}(0.0); }`);
    // Workgroup memory [k][outer/4] of vec4; outer is a multiple of 4 everywhere.
    if (!kContiguous && comp === 4) {
      store.push(`  ${sh}[@OFF@${kk} * ${outer / 4} + ${o} / 4] = ${reg};`);
    } else if (comp === 4) {
      // 4 consecutive k of one outer index: a column of the transposed slice.
      for (let j = 0; j < 4; j++) store.push(`  ${sh}[@OFF@(${kk} + ${j}) * ${outer / 4} + ${o} / 4][${o} % 4] = ${reg}[${j}];`);
    } else {
      store.push(`  ${sh}[@OFF@${kk} * ${outer / 4} + (${o}) / 4][(${o}) % 4] = ${reg};`);
    }
  }
  load.push('}');
  store.push('}');
  const storeCode = store.join('\n    ');
  return { decl: decl.join('\n  '), load: load.join('\n    '), store: (off) => storeCode.replaceAll('@OFF@', off ? `${off} + ` : '') };
}

function makeSource(c: MatmulConfig, v: Variant): string {
  const threads = threadsOf(c);
  const tx = c.bn / c.tn; // threads across a tile row
  const ty = c.bm / c.tm;
  const rm = c.tm / 4; // vec4 groups of rows / columns per thread
  const rn = c.tn / 4;
  const a = operandCode('A', c.bm, c, threads, !v.transposeA, v.cA, v.fitM, v.fitK);
  const b = operandCode('B', c.bn, c, threads, v.transposeB, v.cB, v.fitN, v.fitK);

  // A thread's rows are gi*(bm/rm) + ty*4 + i, its columns gj*(bn/rn) + tx*4 + j: vec4 reads of
  // workgroup memory by neighbouring threads are contiguous (no bank conflicts) and so are their
  // vec4 stores of C.
  const accDecl: string[] = [];
  for (let i = 0; i < c.tm; i++) for (let j = 0; j < rn; j++) accDecl.push(`var acc${i}_${j} = vec4<f32>(0.0);`);
  const offA = c.doubleBuffer ? 'aCur + ' : '';
  const offB = c.doubleBuffer ? 'bCur + ' : '';
  const step = (k: string): string => {
    const s: string[] = [];
    for (let gi = 0; gi < rm; gi++) s.push(`let a${gi} = As[${offA}${k} * ${c.bm / 4} + ${gi * ty} + ty];`);
    for (let gj = 0; gj < rn; gj++) s.push(`let b${gj} = Bs[${offB}${k} * ${c.bn / 4} + ${gj * tx} + tx];`);
    for (let gi = 0; gi < rm; gi++)
      for (let i = 0; i < 4; i++) for (let gj = 0; gj < rn; gj++) s.push(`acc${gi * 4 + i}_${gj} = fma(vec4<f32>(a${gi}[${i}]), b${gj}, acc${gi * 4 + i}_${gj});`);
    return s.join('\n        ');
  };
  const multiply = c.unroll
    ? Array.from({ length: c.bk }, (_, k) => `{\n        ${step(String(k))}\n      }`).join('\n      ')
    : `for (var k = 0; k < ${c.bk}; k++) {\n        ${step('k')}\n      }`;

  const write: string[] = [];
  for (let gi = 0; gi < rm; gi++)
    for (let i = 0; i < 4; i++) {
      const row = `rowBase + ${gi * c.bm / rm + i} + ty * 4`;
      write.push(`{`, `  let row = ${row};`);
      if (!v.fitM) write.push(`  if (row < M) {`);
      for (let gj = 0; gj < rn; gj++) {
        const acc = `acc${gi * 4 + i}_${gj}`;
        const col = `colBase + ${gj * c.bn / rn} + tx * 4`;
        if (v.cC === 4) {
          const st = `result[(cBase + row * N + col) / 4] = ${acc};`;
          write.push(`  { let col = ${col}; ${v.fitN ? st : `if (col < N) { ${st} }`} }`);
        } else {
          write.push(`  { let col = ${col};`);
          for (let j = 0; j < 4; j++) write.push(`    if (col + ${j} < N) { result[cBase + row * N + col + ${j}] = ${acc}[${j}]; }`);
          write.push(`  }`);
        }
      }
      if (!v.fitM) write.push(`  }`);
      write.push(`}`);
    }

  // Register prefetch: the next slice is loaded from global memory while this one is multiplied.
  // Single buffer: store, barrier, multiply, barrier. Double buffer: the registers go to the other
  // buffer after the multiply, and one barrier a step suffices (the buffer being written was last
  // read before the previous barrier).
  const nbuf = c.doubleBuffer ? 2 : 1;
  const sliceA = (c.bk * c.bm) / 4;
  const sliceB = (c.bk * c.bn) / 4;
  const mainLoop = c.doubleBuffer
    ? `${a.store('')}
    ${b.store('')}
    workgroupBarrier();
    for (var t = 0; t < numTiles; t++) {
      let aCur = (t % 2) * ${sliceA};
      let bCur = (t % 2) * ${sliceB};
      k0 = k0 + ${c.bk};
      let more = t + 1 < numTiles;
      if (more) {
        ${a.load}
        ${b.load}
      }
      ${multiply}
      if (more) {
        let aNext = ${sliceA} - aCur;
        let bNext = ${sliceB} - bCur;
        ${a.store('aNext')}
        ${b.store('bNext')}
      }
      workgroupBarrier();
    }`
    : `for (var t = 0; t < numTiles; t++) {
      ${a.store('')}
      ${b.store('')}
      workgroupBarrier();
      k0 = k0 + ${c.bk};
      if (t + 1 < numTiles) {
        ${a.load}
        ${b.load}
      }
      ${multiply}
      workgroupBarrier();
    }`;

  // Tile order: tfjs dispatches (x: N tiles, y: M tiles, z: batch). With swizzling, groups of
  // `swizzle` tile rows are walked column by column, so that workgroups running together share
  // slices of both A and B in L2.
  const tileCoords =
    c.swizzle > 1
      ? `let nx = i32(numWorkgroups.x);
    let ny = i32(numWorkgroups.y);
    let lin = i32(workgroupId.y) * nx + i32(workgroupId.x);
    let perGroup = ${c.swizzle} * nx;
    let firstRow = (lin / perGroup) * ${c.swizzle};
    let rowsHere = min(ny - firstRow, ${c.swizzle});
    let inGroup = lin % perGroup;
    let tileM = firstRow + inGroup % rowsHere;
    let tileN = inGroup / rowsHere;`
      : `let tileM = i32(workgroupId.y);
    let tileN = i32(workgroupId.x);`;

  return `
  var<workgroup> As : array<vec4<f32>, ${(nbuf * c.bk * c.bm) / 4}>;
  var<workgroup> Bs : array<vec4<f32>, ${(nbuf * c.bk * c.bn) / 4}>;

  fn main() {
    let tid = i32(localIndex);
    let tx = tid % ${tx};
    let ty = tid / ${tx};
    ${tileCoords}
    // z = slice of K × batch + batch index; without split-K the slice is 0 and spans K.
    let zi = i32(workgroupId.z);
    let batch = zi % uniforms.batchCount;
    let kBegin = (zi / uniforms.batchCount) * uniforms.kPerSplit;
    let M = uniforms.dimM;
    let N = uniforms.dimN;
    let K = uniforms.dimK;
    let rowBase = tileM * ${c.bm};
    let colBase = tileN * ${c.bn};
    let aBase = (batch % uniforms.batchA) * M * K;
    let bBase = (batch % uniforms.batchB) * K * N;
    let cBase = zi * M * N;
    ${accDecl.join('\n    ')}
    ${a.decl}
    ${b.decl}
    var k0 = kBegin;
    ${a.load}
    ${b.load}
    // Every slice runs the same number of tiles (a barrier needs a uniform trip count, and values
    // derived from workgroupId are not uniform to WGSL); the last slice's tiles past K load zeros.
    let numTiles = (uniforms.kPerSplit + ${c.bk - 1}) / ${c.bk};
    ${mainLoop}
    ${write.join('\n    ')}
  }
  `;
}

class TiledMatmulProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  variableNames = ['A', 'B'];
  variableComponents: number[];
  outputComponent: number;
  workgroupSize: [number, number, number];
  uniforms = 'dimM : i32, dimN : i32, dimK : i32, batchA : i32, batchB : i32, batchCount : i32, kPerSplit : i32,';
  private readonly config: MatmulConfig;
  private readonly variant: Variant;

  constructor(c: MatmulConfig, p: MatmulProblem, splitK = 1, kPerSplit = p.k) {
    const v = variantOf(c, p, splitK, kPerSplit);
    // Split-K writes [slice][batch][M][N] partial sums.
    this.outputShape = splitK > 1 ? [splitK * p.batch, p.m, p.n] : p.outShape;
    this.dispatch = [ceilDiv(p.n, c.bn), ceilDiv(p.m, c.bm), p.batch * splitK];
    this.workgroupSize = [threadsOf(c), 1, 1];
    this.variableComponents = [v.cA, v.cB];
    this.outputComponent = v.cC;
    const f = (b: boolean): string => (b ? '1' : '0');
    this.shaderKey = `siricMatmul_${c.name}_${f(v.transposeA)}${f(v.transposeB)}_${v.cA}${v.cB}${v.cC}_${f(v.fitM)}${f(v.fitN)}${f(v.fitK)}`;
    this.config = c;
    this.variant = v;
  }

  /**
   * The WGSL, made only when tfjs compiles this shader key: building it at every call cost more
   * than the call itself (an H100 CPU profile of the small preset's step: 22 ms of 67).
   */
  getUserCode(): string {
    return makeSource(this.config, this.variant);
  }
}

/** out[i] = Σ_s P[s·size + i], s in order: the split-K partial sums added up deterministically. */
class SplitKSumProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey = 'siricMatmulSplitKSum';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames = ['P'];
  workgroupSize: [number, number, number] = [256, 1, 1];
  uniforms = 'splits : i32,';
  size = true;

  constructor(outShape: number[]) {
    this.outputShape = outShape;
    this.dispatchLayout = { x: outShape.map((_, i) => i) };
    this.dispatch = [ceilDiv(prod(outShape), 256), 1, 1];
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      var s = 0.0;
      for (var j = 0; j < uniforms.splits; j++) {
        s = s + P[j * uniforms.size + index];
      }
      setOutputAtIndex(index, s);
    }
  }
  `;
  }
}

/** The WGSL of a configuration for a problem (for inspection and tests). */
export function webgpuMatmulSource(c: MatmulConfig, p: MatmulProblem): string {
  return new TiledMatmulProgram(c, p).getUserCode();
}

// ---------- the kernel ----------

type Uniform = { type: 'int32' | 'float32' | 'uint32'; data: number[] };

/** The parts of tfjs-backend-webgpu's WebGPUBackend this kernel uses. */
export interface WebgpuBackendLike {
  device: { limits: MatmulLimits };
  runWebGPUProgram(program: WebgpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, programDefinedUniform?: Uniform[]): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

interface BatchMatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: WebgpuBackendLike;
  attrs: { transposeA: boolean; transposeB: boolean };
}

/** tfjs-backend-webgpu's own BatchMatMul, captured before ours replaces it. */
let builtinKernel: tf.KernelFunc | undefined;

/** Calls of batchMatMulWebgpu per configuration name ('builtin' for the fallbacks): for tests and benchmarks. */
export const webgpuMatmulCalls = new Map<string, number>();
const count = (name: string): void => {
  webgpuMatmulCalls.set(name, (webgpuMatmulCalls.get(name) ?? 0) + 1);
};

/** How the current choice runs this problem (undefined: with the builtin). */
export function planWebgpuMatmul(p: MatmulProblem | undefined, limits: MatmulLimits, sel: MatmulChoice = getWebgpuMatmulConfig()): MatmulPlan | undefined {
  if (!p || sel === 'builtin') return undefined;
  if (p.m === 0 || p.n === 0 || p.k === 0 || p.batch === 0) return undefined;
  const c = sel === 'auto' ? autoConfig(p, limits) : findWebgpuMatmulConfig(sel);
  return c && configRuns(c, p, limits) ? planFor(c, p, sel !== 'auto' || autoSplits(p)) : undefined;
}

/** Runs a problem with a plan (the caller has checked configRuns). */
export function runTiledMatmul(backend: WebgpuBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, p: MatmulProblem, plan: MatmulPlan): tf.TensorInfo {
  const program = new TiledMatmulProgram(plan.config, p, plan.splitK, plan.kPerSplit);
  const uniforms: Uniform[] = [
    { type: 'int32', data: [p.m] },
    { type: 'int32', data: [p.n] },
    { type: 'int32', data: [p.k] },
    { type: 'int32', data: [p.batchA] },
    { type: 'int32', data: [p.batchB] },
    { type: 'int32', data: [p.batch] },
    { type: 'int32', data: [plan.kPerSplit] },
  ];
  const out = backend.runWebGPUProgram(program, [a, b], 'float32', uniforms);
  if (plan.splitK <= 1) return out;
  const sum = backend.runWebGPUProgram(new SplitKSumProgram(p.outShape), [out], 'float32', [{ type: 'int32', data: [plan.splitK] }]);
  backend.disposeData(out.dataId);
  return sum;
}

/** BatchMatMul for the webgpu backend: the tiled program where it applies, else tfjs's own. */
export function batchMatMulWebgpu(args: BatchMatMulArgs): tf.TensorInfo {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs;
  if (a.dtype === 'float32' && b.dtype === 'float32') {
    const p = describeProblem(a.shape, b.shape, transposeA, transposeB);
    // Flat indices are i32 in the shader.
    if (p && Math.max(prod(a.shape), prod(b.shape), p.batch * p.m * p.n * 2) < 2 ** 31) {
      const plan = planWebgpuMatmul(p, args.backend.device.limits);
      if (plan) {
        count(plan.config.name);
        // Counted before the kernel is recorded: the submit policy (webgpu-submit.ts) then sees it with its output.
        noteMatmulFlops(args.backend, 2 * p.batch * p.m * p.n * p.k);
        return runTiledMatmul(args.backend, a, b, p, plan);
      }
    }
  }
  count('builtin');
  if (!builtinKernel) throw new Error('BatchMatMul@webgpu: the builtin kernel was not captured (call registerWebgpuKernels after loading @tensorflow/tfjs-backend-webgpu)');
  return builtinKernel(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

/** tfjs's builtin BatchMatMul@webgpu (for comparisons); undefined before registerWebgpuKernels ran with the package loaded. */
export function builtinBatchMatMulWebgpu(): tf.KernelFunc | undefined {
  return builtinKernel;
}

/**
 * Replaces BatchMatMul@webgpu with batchMatMulWebgpu, capturing the builtin first. Does nothing
 * (returns []) until @tensorflow/tfjs-backend-webgpu has been imported (it registers its kernels on
 * import), and nothing once done: safe to call any number of times. Returns the `Kernel@backend`
 * names registered by this call.
 */
export function registerWebgpuKernels(): string[] {
  return replaceWebgpuKernel(tf.BatchMatMul, batchMatMulWebgpu as unknown as tf.KernelFunc, (b) => (builtinKernel = b));
}

/**
 * Replaces a builtin webgpu kernel with `ours`, handing the builtin to `keep` first (ours falls back
 * to it). Does nothing (returns []) until @tensorflow/tfjs-backend-webgpu has been imported, and
 * nothing once done. Returns the `Kernel@backend` names registered by this call.
 */
export function replaceWebgpuKernel(name: string, ours: tf.KernelFunc, keep: (builtin: tf.KernelFunc) => void): string[] {
  const existing = tf.getKernel(name, 'webgpu');
  if (!existing || existing.kernelFunc === ours) return [];
  keep(existing.kernelFunc);
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc: ours });
  return [`${name}@webgpu`];
}
