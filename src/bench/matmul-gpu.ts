// float32 matmul on the webgpu backend: tfjs's builtin BatchMatMul against each configuration of
// our tiled kernel (src/runtime/webgpu/kernels/matmul.ts) that the device can run, on square sizes
// and on the model's shapes. Each configuration is first checked against the builtin (max |Δ| over
// max |builtin| < 1e-3, else FAILED and not timed), then timed: a warm-up chain, then --reps chains
// of --chain matmuls submitted back to back and waited for once (through a one-element slice of the
// last, so the readback costs nothing). Prints a table, and with --json one JSON object
// { device, dawnFlags, sizes: [...], best: { shape: config } } on its last line.
//
//   node dist/bench/matmul-gpu.js [--sizes 1024,2048,4096] [--configs all|a,b] [--reps 5]
//        [--chain 10] [--budget-s 120] [--no-model] [--json]
//
// A whole run stays within --budget-s (what is left when it runs out is reported as skipped).
// Dawn's robustness transforms (bounds clamping of every buffer access) are a per-process setting:
// to see what they cost, a runner runs this twice, the second time with
//   SIRIC_DAWN_FLAGS='enable-dawn-features=disable_robustness' node dist/bench/matmul-gpu.js ...
// (the flags are echoed in the output; Dawn's toggles are comma-separated, e.g.
// enable-dawn-features=disable_robustness,disable_workgroup_init also skips zeroing workgroup
// memory at each workgroup's start). SIRIC_WEBGPU_ADAPTER=gles runs it on Mesa's software GL
// (slow: use small sizes). The configurations are those of WEBGPU_MATMUL_CONFIGS; to use the best
// one everywhere: SIRIC_WEBGPU_MATMUL=<name> (default auto).
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../runtime/backend.js';
import {
  WEBGPU_MATMUL_CONFIGS,
  autoConfig,
  configMisfit,
  configRuns,
  describeProblem,
  registerWebgpuKernels,
  setWebgpuMatmulConfig,
  webgpuMatmulCalls,
  planFor,
  type MatmulLimits,
} from '../runtime/webgpu/kernels/matmul.js';

interface Shape {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

interface Result {
  config: string;
  status: 'ok' | 'FAILED' | 'skipped' | 'unfit';
  note?: string;
  err?: number;
  ms?: number;
  msMin?: number;
  tflops?: number;
}

interface ShapeReport {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  flops: number;
  auto: string;
  results: Result[];
  best?: string;
}

interface ErrorScopeDevice {
  limits: MatmulLimits;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

const argv = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}
const flag = (name: string): boolean => argv.includes(`--${name}`);

const sizes = arg('sizes', '1024,2048,4096')
  .split(',')
  .filter(Boolean)
  .map(Number);
const reps = Math.max(1, Number(arg('reps', '5')));
const chain = Math.max(1, Number(arg('chain', '10')));
const budgetMs = Number(arg('budget-s', '120')) * 1000;
const json = flag('json');
const configArg = arg('configs', 'all');

const t0 = performance.now();
const elapsed = (): number => performance.now() - t0;
const log = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

function shapes(): Shape[] {
  const sq: Shape[] = sizes.map((s) => ({ name: String(s), a: [s, s], b: [s, s], transposeA: false, transposeB: false }));
  if (flag('no-model')) return sq;
  return [
    ...sq,
    // x·W of a projection, its x·Wᵀ form, and the weight gradient xᵀ·dy (K = 8192)
    { name: '8192x64·64x256', a: [8192, 64], b: [64, 256], transposeA: false, transposeB: false },
    { name: '8192x64·(256x64)T', a: [8192, 64], b: [256, 64], transposeA: false, transposeB: true },
    { name: '(8192x64)T·8192x256', a: [8192, 64], b: [8192, 256], transposeA: true, transposeB: false },
    // attention: scores Q·Kᵀ and the weighted sum P·V, batch = B·heads
    { name: 'b64:128x64·(128x64)T', a: [64, 128, 64], b: [64, 128, 64], transposeA: false, transposeB: true },
    { name: 'b64:128x128·128x64', a: [64, 128, 128], b: [64, 128, 64], transposeA: false, transposeB: false },
    { name: 'b64:128x64·64x128', a: [64, 128, 64], b: [64, 64, 128], transposeA: false, transposeB: false },
  ];
}

function randomTensor(shape: number[], seed: number): tf.Tensor {
  // A small LCG: reproducible inputs, and fast enough for 16M values.
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 32 - 0.5;
  }
  return tf.tensor(v, shape, 'float32');
}

/** Waits for everything submitted so far: reading one element of `t` needs all of it done. */
async function sync(t: tf.Tensor): Promise<void> {
  const one = tf.slice(t, new Array<number>(t.rank).fill(0), new Array<number>(t.rank).fill(1));
  await one.data();
  one.dispose();
}

async function main(): Promise<void> {
  let device: string;
  try {
    device = (await selectBackend('webgpu')).device;
  } catch (e) {
    log(`matmul-gpu: the webgpu backend is not available: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
    process.exit(1);
  }
  registerWebgpuKernels(); // idempotent: in case backend selection did not already
  const gpu = (tf.backend() as unknown as { device: ErrorScopeDevice }).device;
  const limits = gpu.limits;
  const dawnFlags = process.env['SIRIC_DAWN_FLAGS'] ?? '';
  const wanted = configArg === 'all' ? WEBGPU_MATMUL_CONFIGS.map((c) => c.name) : configArg.split(',').filter(Boolean);
  const configs = wanted.filter((n) => n !== 'builtin').map((n) => {
    const c = WEBGPU_MATMUL_CONFIGS.find((x) => x.name === n);
    if (!c) {
      log(`matmul-gpu: unknown configuration ${n}; one of ${WEBGPU_MATMUL_CONFIGS.map((x) => x.name).join(', ')}`);
      process.exit(1);
    }
    return c;
  });
  log(`device: ${device}`);
  log(`limits: ${limits.maxComputeInvocationsPerWorkgroup} invocations/workgroup, ${limits.maxComputeWorkgroupStorageSize} B workgroup memory`);
  log(`dawn flags: ${dawnFlags || '(none)'}; reps ${reps} × chain ${chain}; budget ${budgetMs / 1000} s`);

  const reports: ShapeReport[] = [];
  for (const s of shapes()) {
    const p = describeProblem(s.a, s.b, s.transposeA, s.transposeB);
    if (!p) throw new Error(`bad shape ${s.name}`);
    const flops = 2 * p.batch * p.m * p.n * p.k;
    const auto = autoConfig(p, limits)?.name ?? 'builtin';
    const report: ShapeReport = { name: s.name, a: s.a, b: s.b, transposeA: s.transposeA, transposeB: s.transposeB, flops, auto, results: [] };
    reports.push(report);
    if (elapsed() > budgetMs) {
      report.results.push({ config: 'builtin', status: 'skipped', note: 'time budget spent' });
      for (const c of configs) report.results.push({ config: c.name, status: 'skipped', note: 'time budget spent' });
      continue;
    }
    const a = randomTensor(s.a, 1);
    const b = randomTensor(s.b, 2);
    const run = (): tf.Tensor => tf.matMul(a, b, s.transposeA, s.transposeB);

    // The builtin's result is the reference.
    setWebgpuMatmulConfig('builtin');
    const refT = run();
    const ref = (await refT.data()) as Float32Array;
    refT.dispose();
    let refMax = 0;
    for (let i = 0; i < ref.length; i++) refMax = Math.max(refMax, Math.abs(ref[i]!));

    const time = async (name: string): Promise<Result> => {
      // Warm-up (compiles the pipeline), sized so that the timed chains fit in the budget.
      const w0 = performance.now();
      let outs: tf.Tensor[] = [];
      for (let i = 0; i < chain; i++) outs.push(run());
      await sync(outs[outs.length - 1]!);
      tf.dispose(outs);
      const warm = performance.now() - w0;
      const left = budgetMs - elapsed();
      const n = Math.max(1, Math.min(reps, Math.floor(left / Math.max(warm, 1e-3))));
      const per: number[] = [];
      for (let r = 0; r < n; r++) {
        const r0 = performance.now();
        outs = [];
        for (let i = 0; i < chain; i++) outs.push(run());
        await sync(outs[outs.length - 1]!);
        per.push((performance.now() - r0) / chain);
        tf.dispose(outs);
      }
      per.sort((x, y) => x - y);
      const ms = per[Math.floor((per.length - 1) / 2)]!;
      return { config: name, status: 'ok', ms, msMin: per[0]!, tflops: flops / (ms * 1e-3) / 1e12, ...(n < reps ? { note: `${n} reps (budget)` } : {}) };
    };

    report.results.push(await time('builtin'));
    const autoC = autoConfig(p, limits);
    for (const c of configs) {
      if (elapsed() > budgetMs) {
        report.results.push({ config: c.name, status: 'skipped', note: 'time budget spent' });
        continue;
      }
      const misfit = configMisfit(c, limits);
      if (misfit || !configRuns(c, p, limits)) {
        report.results.push({ config: c.name, status: 'unfit', note: misfit ?? 'dispatch exceeds device limits' });
        continue;
      }
      setWebgpuMatmulConfig(c.name);
      const split = planFor(c, p).splitK;
      const before = webgpuMatmulCalls.get(c.name) ?? 0;
      gpu.pushErrorScope('validation');
      const outT = run();
      const gpuErr = await gpu.popErrorScope();
      const got = (await outT.data()) as Float32Array;
      outT.dispose();
      if ((webgpuMatmulCalls.get(c.name) ?? 0) !== before + 1) {
        report.results.push({ config: c.name, status: 'FAILED', note: 'the kernel did not take this configuration' });
        continue;
      }
      let d = 0;
      for (let i = 0; i < ref.length; i++) {
        const x = Math.abs(got[i]! - ref[i]!);
        d = Number.isNaN(x) ? Infinity : Math.max(d, x);
      }
      const err = refMax > 0 ? d / refMax : d;
      if (gpuErr || !(err < 1e-3)) {
        report.results.push({ config: c.name, status: 'FAILED', err, note: gpuErr ? `GPU error: ${gpuErr.message.split('\n')[0]}` : 'wrong result' });
        continue;
      }
      const r = await time(c.name);
      const notes = [r.note, split > 1 ? `split-K ${split}` : undefined, autoC === c ? 'auto' : undefined].filter(Boolean);
      report.results.push({ ...r, err, ...(notes.length ? { note: notes.join(', ') } : {}) });
    }
    tf.dispose([a, b]);
    const ok = report.results.filter((r) => r.status === 'ok' && r.ms !== undefined);
    report.best = ok.sort((x, y) => x.ms! - y.ms!)[0]?.config;
    printShape(report);
  }
  setWebgpuMatmulConfig('auto');

  const leaked = tf.memory().numTensors;
  if (leaked > 0) log(`note: ${leaked} tensors still allocated`);
  log(`total ${(elapsed() / 1000).toFixed(1)} s`);
  if (json) {
    const best: Record<string, string> = {};
    for (const r of reports) if (r.best) best[r.name] = r.best;
    log(JSON.stringify({ device, dawnFlags, limits: { ...pickLimits(limits) }, reps, chain, sizes: reports, best }));
  }
  process.exit(0);
}

function pickLimits(l: MatmulLimits): MatmulLimits {
  return {
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
  };
}

function printShape(r: ShapeReport): void {
  const ta = r.transposeA ? 'ᵀ' : '';
  const tb = r.transposeB ? 'ᵀ' : '';
  log('');
  log(`${r.name}: [${r.a.join(',')}]${ta} · [${r.b.join(',')}]${tb}  (${(r.flops / 1e9).toFixed(2)} GFLOP; auto → ${r.auto})`);
  log(`  ${'config'.padEnd(24)} ${'ms'.padStart(9)} ${'min ms'.padStart(9)} ${'TFLOP/s'.padStart(8)} ${'rel err'.padStart(9)}  note`);
  for (const x of r.results) {
    const ms = x.ms !== undefined ? x.ms.toFixed(3) : x.status;
    const min = x.msMin !== undefined ? x.msMin.toFixed(3) : '';
    const tf_ = x.tflops === undefined ? '' : x.tflops >= 1 ? x.tflops.toFixed(2) : x.tflops.toPrecision(2);
    const err = x.err !== undefined ? x.err.toExponential(1) : '';
    const mark = r.best === x.config ? ' *best*' : '';
    log(`  ${x.config.padEnd(24)} ${ms.padStart(9)} ${min.padStart(9)} ${tf_.padStart(8)} ${err.padStart(9)}  ${x.note ?? ''}${mark}`);
  }
}

main().catch((e: unknown) => {
  log(`matmul-gpu: ${String((e as Error)?.stack ?? e)}`);
  process.exit(1);
});
