// Where a training step's time goes on a backend: kernels per step, GPU (or CPU) time per kernel
// kind from tf.profile, the wall time of the step, and two floors that bound it from below — the
// cost of one tiny dispatched op, and of one read-back. Usage (after a build):
//   node dist/bench/profile-step.js [--backend webgpu|wasm|cpu] [--preset mlp|tiny|small] [--submit-batch N]
//        [--cpu-prof-step [--cpu-prof-out F]] [--json]
//   node dist/bench/profile-step.js --host [--preset P] [--steps N] [--json]   (CPU side of a step, software device)
//   node dist/bench/profile-step.js --count [--by-kind] [--backend B] [--preset P]   (kernel calls only)
import * as tf from '@tensorflow/tfjs';
import { assertDeviceHealthy, releaseBackend, selectBackend, type BackendRequest } from '../runtime/backend.js';
import { sample } from '../runtime/rl/sampler.js';
import { useStepGraphs } from '../runtime/webgpu/graph.js';
import { Rng } from '../runtime/rng.js';
import { buildMlpStep, buildTrainStep, makeModel, PRESETS } from './train-bench.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function wall(f: () => Promise<void>, n: number): Promise<number> {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

type Fn = (...a: unknown[]) => unknown;
/** Wall time spent inside some WebGPU API calls (object → method), counted per call. */
const apiTime = new Map<string, { count: number; ms: number }>();
function timeMethod(obj: Record<string, unknown>, method: string, label: string, onResult?: (r: unknown) => void): void {
  const orig = obj[method] as Fn | undefined;
  if (typeof orig !== 'function') return;
  obj[method] = function (this: unknown, ...a: unknown[]) {
    const t0 = performance.now();
    const r = orig.apply(this, a);
    const done = (): void => {
      const e = apiTime.get(label) ?? { count: 0, ms: 0 };
      e.count++;
      e.ms += performance.now() - t0;
      apiTime.set(label, e);
    };
    if (r instanceof Promise) void r.then(done, done);
    else done();
    onResult?.(r);
    return r;
  };
}

/** Wraps the device's queue and resource calls (webgpu only) to see where CPU-side time goes. */
function instrumentWebgpu(): void {
  const device = (tf.backend() as unknown as { device?: Record<string, unknown> }).device;
  if (!device) return;
  const queue = device['queue'] as Record<string, unknown>;
  timeMethod(queue, 'submit', 'queue.submit');
  timeMethod(queue, 'writeBuffer', 'queue.writeBuffer');
  timeMethod(device, 'createBindGroup', 'device.createBindGroup');
  timeMethod(device, 'createCommandEncoder', 'device.createCommandEncoder');
  timeMethod(device, 'createBuffer', 'device.createBuffer');
  for (const m of ['createComputePipeline', 'createComputePipelineAsync', 'createShaderModule', 'createBindGroupLayout', 'createPipelineLayout', 'createQuerySet']) timeMethod(device, m, `device.${m}`);
  // Read-backs wait in mapAsync: wrap it on the buffers' prototype, which staging buffers share.
  const probe = (device['createBuffer'] as Fn).call(device, { size: 4, usage: 1 | 8 }) as Record<string, unknown>; // MAP_READ | COPY_DST
  const bufferProto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  timeMethod(bufferProto, 'mapAsync', 'buffer.mapAsync (until mapped)');
  for (const m of ['getMappedRange', 'unmap', 'destroy']) timeMethod(bufferProto, m, `buffer.${m}`);
  (probe['destroy'] as Fn).call(probe);
  // Encoding: the command encoder's and compute pass's calls, on their prototypes.
  const enc = (device['createCommandEncoder'] as Fn).call(device) as Record<string, unknown>;
  const encProto = Object.getPrototypeOf(enc) as Record<string, unknown>;
  for (const m of ['beginComputePass', 'copyBufferToBuffer', 'finish', 'resolveQuerySet']) timeMethod(encProto, m, `encoder.${m}`);
  const pass = (enc['beginComputePass'] as Fn).call(enc) as Record<string, unknown>;
  const passProto = Object.getPrototypeOf(pass) as Record<string, unknown>;
  for (const m of ['setPipeline', 'setBindGroup', 'dispatchWorkgroups', 'end']) timeMethod(passProto, m, `pass.${m}`);
  (pass['end'] as Fn).call(pass);
  apiTime.clear();
}

/** A V8 CPU profile of `n` calls of f, written to `file` (read it with dist/bench/cpuprofile-top.js). */
async function cpuProfile(f: () => Promise<void>, file: string, n = 3): Promise<void> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  for (let i = 0; i < n; i++) await f();
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}

/**
 * --count: kernel calls only, no timing (fast on the software device): per training step of the
 * preset, and per generated token of greedy KV-cache sampling with its model (the difference
 * between 12 and 2 new tokens, over 10). Every call through the engine counts, including those
 * that dispatch nothing (reshapes, and the copies autodiff keeps of saved tensors). Step graphs are
 * off: this counts what a step costs through tfjs.
 */
async function countKernels(preset: string): Promise<void> {
  // Calls through tfjs: a replayed step graph makes none.
  process.env['SIRIC_WEBGPU_GRAPHS'] = '0';
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  let calls = 0;
  const byName = new Map<string, number>();
  engine.runKernel = ((...a: unknown[]) => {
    calls++;
    byName.set(a[0] as string, (byName.get(a[0] as string) ?? 0) + 1);
    return (runKernel as (...x: unknown[]) => unknown)(...a);
  }) as typeof engine.runKernel;
  const counted = async (f: () => Promise<unknown>): Promise<number> => {
    const before = calls;
    await f();
    return calls - before;
  };
  const built = preset === 'mlp' ? buildMlpStep() : buildTrainStep(PRESETS[preset]!);
  await built.step();
  byName.clear();
  const step = await counted(built.step);
  const stepKinds = [...byName].sort((a, b) => b[1] - a[1]);
  built.dispose();
  let perToken: number | null = null;
  if (preset !== 'mlp') {
    const m = makeModel(PRESETS[preset]!);
    const gen = (n: number) => sample(m, [[3, 4, 5, 6]], { maxNew: n, eos: -1, pad: 0, greedy: true, temperature: 1, topP: 1, topK: 0, rng: new Rng(1) });
    await gen(3);
    perToken = ((await counted(() => gen(12))) - (await counted(() => gen(2)))) / 10;
    m.dispose();
  }
  engine.runKernel = runKernel;
  process.stdout.write(`${tf.getBackend()}  ${preset}: ${step} kernel calls per training step${perToken === null ? '' : `, ${perToken} per generated token (greedy, batch 1)`}\n`);
  if (process.argv.includes('--by-kind')) process.stdout.write(`  per step: ${stepKinds.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
}

/**
 * --host: the CPU side of a step alone. On the software device (Dawn on llvmpipe) the kernels run
 * inside queue.submit, so wall time minus the time in submits and read-backs is what JavaScript,
 * tfjs and Dawn's encoding cost per step: the part of a GPU step that a faster GPU does not
 * shorten. Reported per step (median of n), and per kernel name as exclusive time (nested kernel
 * calls and submits subtracted); "outside kernels" is autodiff's bookkeeping, tidy and the model's
 * own JavaScript.
 */
async function hostTime(preset: string, n: number): Promise<void> {
  const device = (tf.backend() as unknown as { device?: Record<string, unknown> }).device;
  if (!device) throw new Error('--host needs the webgpu backend');
  let gpuMs = 0;
  interface Frame { t0: number; child: number; gpu: number }
  const stack: Frame[] = [];
  const wrapGpu = (obj: Record<string, unknown>, method: string): void => {
    const orig = obj[method] as Fn;
    obj[method] = function (this: unknown, ...a: unknown[]) {
      const t0 = performance.now();
      const r = orig.apply(this, a);
      const done = (): void => {
        const dt = performance.now() - t0;
        gpuMs += dt;
        const top = stack[stack.length - 1];
        if (top) top.gpu += dt;
      };
      if (r instanceof Promise) return r.finally(done);
      done();
      return r;
    };
  };
  wrapGpu(device['queue'] as Record<string, unknown>, 'submit');
  wrapGpu(device['queue'] as Record<string, unknown>, 'onSubmittedWorkDone');
  const probe = (device['createBuffer'] as Fn).call(device, { size: 4, usage: 1 | 8 }) as Record<string, unknown>;
  wrapGpu(Object.getPrototypeOf(probe) as Record<string, unknown>, 'mapAsync');
  (probe['destroy'] as Fn).call(probe);
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine) as (...x: unknown[]) => unknown;
  const exclusive = new Map<string, { calls: number; ms: number }>();
  engine.runKernel = ((...a: unknown[]) => {
    const f: Frame = { t0: performance.now(), child: 0, gpu: 0 };
    stack.push(f);
    try {
      return runKernel(...a);
    } finally {
      stack.pop();
      const dt = performance.now() - f.t0;
      const e = exclusive.get(a[0] as string) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += dt - f.child - f.gpu;
      exclusive.set(a[0] as string, e);
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.child += dt;
        parent.gpu += 0; // a child's submits are inside its own dt
      }
    }
  }) as typeof engine.runKernel;
  const built = preset === 'mlp' ? buildMlpStep() : buildTrainStep(PRESETS[preset]!);
  // Warm: shaders compiled, caches filled, and with step graphs (webgpu/graph.ts) the step recorded
  // and replaying, so that every measured step is a replay.
  for (let i = 0; i < 6; i++) await built.step();
  const host: number[] = [];
  exclusive.clear();
  for (let i = 0; i < n; i++) {
    const g0 = gpuMs;
    const t0 = performance.now();
    await built.step();
    host.push(performance.now() - t0 - (gpuMs - g0));
  }
  engine.runKernel = runKernel as typeof engine.runKernel;
  built.dispose();
  host.sort((a, b) => a - b);
  // Sampling: host time per generated token (greedy, 8 prompts), from the difference of 22 and 2 new tokens.
  let perTokenMs: number | null = null;
  if (preset !== 'mlp') {
    const m = makeModel(PRESETS[preset]!);
    const prompts = Array.from({ length: 8 }, (_, i) => [3, 4 + i, 5, 6]);
    const gen = async (n: number): Promise<number> => {
      const g0 = gpuMs;
      const t0 = performance.now();
      await sample(m, prompts, { maxNew: n, eos: -1, pad: 0, greedy: true, temperature: 1, topP: 1, topK: 0, rng: new Rng(1) });
      return performance.now() - t0 - (gpuMs - g0);
    };
    await gen(4);
    const diffs: number[] = [];
    for (let i = 0; i < 3; i++) diffs.push(((await gen(22)) - (await gen(2))) / 20);
    perTokenMs = diffs.sort((a, b) => a - b)[1]!;
    m.dispose();
  }
  const kinds = [...exclusive].map(([name, e]) => ({ name, calls: e.calls / n, us: (e.ms / e.calls) * 1000, ms: e.ms / n })).sort((a, b) => b.ms - a.ms);
  const inKernels = kinds.reduce((a, k) => a + k.ms, 0);
  const calls = kinds.reduce((a, k) => a + k.calls, 0);
  const med = host[Math.floor(n / 2)]!;
  const report = { backend: tf.getBackend(), preset, host_ms: +med.toFixed(2), host_ms_min: +host[0]!.toFixed(2), kernel_calls: calls, in_kernels_ms: +inKernels.toFixed(2), outside_kernels_ms: +(med - inKernels).toFixed(2), sample_host_ms_per_token: perTokenMs === null ? null : +perTokenMs.toFixed(3), kinds: kinds.map((k) => ({ ...k, us: +k.us.toFixed(1), ms: +k.ms.toFixed(3) })) };
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    process.stdout.write(`${report.backend}  ${preset}: host ${report.host_ms} ms per step (min ${report.host_ms_min}; ${calls} kernel calls: ${report.in_kernels_ms} ms inside them, ${report.outside_kernels_ms} ms outside)${perTokenMs === null ? '' : `; sampling ${report.sample_host_ms_per_token} ms per token (8 rows, greedy)`}\n`);
    for (const k of kinds.slice(0, 20)) process.stdout.write(`  ${k.name.padEnd(22)} ${String(k.calls).padStart(5)}× ${k.us.toFixed(1).padStart(7)} µs = ${k.ms.toFixed(2).padStart(6)} ms\n`);
  }
}

async function main(): Promise<void> {
  const backend = await selectBackend(arg('backend', 'webgpu') as BackendRequest);
  if (process.argv.includes('--count')) {
    await countKernels(arg('preset', 'mlp'));
    await releaseBackend();
    return;
  }
  if (process.argv.includes('--host')) {
    await hostTime(arg('preset', 'small'), Number(arg('steps', '5')));
    await releaseBackend();
    return;
  }
  const batch = arg('submit-batch', '');
  // tfjs submits its command buffer every N dispatches (15 by default).
  if (batch) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', Number(batch));
  const preset = arg('preset', 'mlp');
  const built = preset === 'mlp' ? buildMlpStep() : buildTrainStep(PRESETS[preset]!);
  const stepMs = await wall(built.step, 5);
  // The JavaScript side of one step: with --cpu-prof-step, a V8 CPU profile of it alone.
  if (process.argv.includes('--cpu-prof-step')) await cpuProfile(built.step, arg('cpu-prof-out', 'step.cpuprofile'));
  instrumentWebgpu();
  const t0 = performance.now();
  await built.step();
  const instrumentedMs = performance.now() - t0;
  const api = Object.fromEntries([...apiTime].map(([k, v]) => [k, { count: v.count, ms: +v.ms.toFixed(2) }]));
  const prof = await tf.profile(async () => {
    await built.step();
  });
  const byKind = new Map<string, { count: number; ms: number; shapes: string }>();
  for (const k of prof.kernels) {
    const key = k.name === 'BatchMatMul' ? `BatchMatMul ${JSON.stringify(k.inputShapes)}` : k.name;
    const e = byKind.get(key) ?? { count: 0, ms: 0, shapes: '' };
    e.count++;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    if (!e.shapes) e.shapes = JSON.stringify(k.inputShapes);
    byKind.set(key, e);
  }
  const kinds = [...byKind].map(([name, e]) => ({ name, ...e, ms: +e.ms.toFixed(3) })).sort((a, b) => b.ms - a.ms);
  const kernelMs = kinds.reduce((a, k) => a + k.ms, 0);
  built.dispose();
  // Floors: 200 chained tiny adds (dispatch and bookkeeping per op), and a scalar read-back.
  const x = tf.scalar(1);
  const opUs =
    ((await wall(async () => {
      let y: tf.Tensor = x;
      for (let i = 0; i < 200; i++) {
        const z = tf.add(y, 1);
        if (y !== x) y.dispose();
        y = z;
      }
      await y.data();
      y.dispose();
    }, 5)) /
      200) *
    1000;
  const readMs = await wall(async () => {
    const y = tf.add(x, 1);
    await y.data();
    y.dispose();
  }, 20);
  x.dispose();
  assertDeviceHealthy();
  const report = { backend: `${backend.name} (${backend.device})`, preset, submit_batch: tf.getBackend() === 'webgpu' ? tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') : null, step_ms: +stepMs.toFixed(2), instrumented_step_ms: +instrumentedMs.toFixed(2), api, kernels_per_step: prof.kernels.length, kernel_ms_total: +kernelMs.toFixed(2), per_op_us: +opUs.toFixed(1), readback_ms: +readMs.toFixed(3), kinds };
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    process.stdout.write(`${report.backend}  ${preset}: step ${report.step_ms} ms wall, ${report.kernels_per_step} kernels, ${report.kernel_ms_total} ms in kernels; one tiny op ${report.per_op_us} µs, one read-back ${report.readback_ms} ms\n`);
    process.stdout.write(`  submit batch ${String(report.submit_batch)}; one step with API timing ${report.instrumented_step_ms} ms: ${JSON.stringify(api)}\n`);
    if (useStepGraphs()) process.stdout.write('  (the timed steps replay as step graphs, whose calls bypass the API timing; the kernel list below ran through tfjs under tf.profile; SIRIC_WEBGPU_GRAPHS=0 times a step through tfjs)\n');
    for (const k of kinds.slice(0, 25)) process.stdout.write(`  ${k.name.padEnd(28)} ${String(k.count).padStart(5)}× ${k.ms.toFixed(3).padStart(9)} ms  ${k.shapes}\n`);
  }
  await releaseBackend();
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  },
);
