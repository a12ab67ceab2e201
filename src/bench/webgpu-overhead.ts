/// <reference types="@webgpu/types" />
// What Dawn itself costs on this machine, without tfjs: the CPU time of encoding, submitting and
// waiting for N small compute dispatches, done the way tfjs does them (a bind group and a uniform
// write per dispatch, one compute pass, a submit every `batch` dispatches), and with one factor
// changed at a time: fresh buffers per dispatch (tfjs's pool misses), reused bind groups, one pass
// per dispatch, bigger dispatches. A step of the runtime is hundreds of such dispatches, so this
// is the floor it cannot go under, and tells which WebGPU calls to avoid.
//
//   node dist/bench/webgpu-overhead.js [--n 600] [--reps 5] [--json]
// (SIRIC_WEBGPU_ADAPTER=gles runs it on the software device; SIRIC_DAWN_FLAGS adds Dawn flags.)

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface Case {
  name: string;
  /** Dispatches per submit. */
  batch: number;
  /** Elements each dispatch adds 1 to (the grid is ceil(elems / 64) workgroups). */
  elems: number;
  freshBuffers?: boolean;
  reuseBindGroups?: boolean;
  passPerDispatch?: boolean;
  noUniformWrite?: boolean;
}

const CASES: Case[] = [
  { name: 'tfjs-like: 64 elems, submit every 15', batch: 15, elems: 64 },
  { name: 'submit every 1', batch: 1, elems: 64 },
  { name: 'submit every 100', batch: 100, elems: 64 },
  { name: 'submit once', batch: 1e9, elems: 64 },
  { name: 'fresh output buffer per dispatch', batch: 15, elems: 64, freshBuffers: true },
  { name: 'reused bind groups, no uniform writes', batch: 15, elems: 64, reuseBindGroups: true, noUniformWrite: true },
  { name: 'one pass per dispatch', batch: 15, elems: 64, passPerDispatch: true },
  { name: '1M elems per dispatch, submit every 15', batch: 15, elems: 1 << 20 },
  { name: '1M elems, submit once', batch: 1e9, elems: 1 << 20 },
];

const SHADER = /* wgsl */ `
struct U { n: u32, add: f32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * 64u;
  if (i < u.n) { b[i] = a[i] + u.add; }
}`;

async function main(): Promise<void> {
  const gles = process.env['SIRIC_WEBGPU_ADAPTER'] === 'gles';
  if (gles) process.env['EGL_PLATFORM'] ??= 'surfaceless';
  process.env['VK_LOADER_DRIVERS_DISABLE'] ??= '*lvp_icd*';
  const spec: string = 'webgpu';
  const mod = (await import(spec)) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, mod.globals);
  const flags = [...(gles ? ['backend=opengles'] : []), ...(process.env['SIRIC_DAWN_FLAGS'] ?? '').split(/\s+/).filter(Boolean)];
  const gpu = mod.create(flags);
  const adapter = await gpu.requestAdapter(gles ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions) : { powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  const N = Number(arg('n', '600'));
  const reps = Number(arg('reps', '5'));
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' } });
  const layout = pipeline.getBindGroupLayout(0);
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const results: Record<string, unknown>[] = [];
  for (const c of CASES) {
    const bytes = 4 * c.elems;
    // A ring of buffers: dispatch i reads buffer i and writes i+1, as a chain of ops does.
    const ring = Array.from({ length: 8 }, () => device.createBuffer({ size: bytes, usage: STORAGE }));
    const uniforms = Array.from({ length: 64 }, () => device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }));
    const uniformData = new Uint32Array([c.elems, 0]);
    new Float32Array(uniformData.buffer)[1] = 1;
    for (const u of uniforms) device.queue.writeBuffer(u, 0, uniformData);
    const groups = ring.map((_, i) => device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: ring[i]! } }, { binding: 1, resource: { buffer: ring[(i + 1) % ring.length]! } }, { binding: 2, resource: { buffer: uniforms[i]! } }] }));
    const wg = Math.ceil(c.elems / 64);
    const [gx, gy] = wg > 65535 ? [65535, Math.ceil(wg / 65535)] : [wg, 1];
    const times = { encode: [] as number[], submit: [] as number[], wait: [] as number[], total: [] as number[] };
    for (let r = -1; r < reps; r++) {
      const fresh: GPUBuffer[] = [];
      let encodeMs = 0;
      let submitMs = 0;
      const t0 = performance.now();
      let encoder = device.createCommandEncoder();
      let pass: GPUComputePassEncoder | undefined;
      let inBatch = 0;
      for (let i = 0; i < N; i++) {
        const te = performance.now();
        let group = groups[i % ring.length]!;
        if (!c.reuseBindGroups) {
          const u = uniforms[i % uniforms.length]!;
          if (!c.noUniformWrite) device.queue.writeBuffer(u, 0, uniformData);
          let out = ring[(i + 1) % ring.length]!;
          if (c.freshBuffers) {
            out = device.createBuffer({ size: bytes, usage: STORAGE });
            fresh.push(out);
          }
          group = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: ring[i % ring.length]! } }, { binding: 1, resource: { buffer: out } }, { binding: 2, resource: { buffer: u } }] });
        }
        pass ??= encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(gx, gy);
        if (c.passPerDispatch) {
          pass.end();
          pass = undefined;
        }
        inBatch++;
        encodeMs += performance.now() - te;
        if (inBatch >= c.batch || i === N - 1) {
          const ts = performance.now();
          pass?.end();
          pass = undefined;
          device.queue.submit([encoder.finish()]);
          submitMs += performance.now() - ts;
          encoder = device.createCommandEncoder();
          inBatch = 0;
        }
      }
      const tw = performance.now();
      await device.queue.onSubmittedWorkDone();
      const waitMs = performance.now() - tw;
      for (const b of fresh) b.destroy();
      if (r < 0) continue; // warm-up
      times.encode.push(encodeMs);
      times.submit.push(submitMs);
      times.wait.push(waitMs);
      times.total.push(performance.now() - t0);
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const row = { case: c.name, dispatches: N, submits: Math.ceil(N / Math.min(c.batch, N)), encode_ms: +med(times.encode).toFixed(2), submit_ms: +med(times.submit).toFixed(2), wait_ms: +med(times.wait).toFixed(2), total_ms: +med(times.total).toFixed(2), us_per_dispatch: +((med(times.total) / N) * 1000).toFixed(1) };
    results.push(row);
    process.stdout.write(`${row.case.padEnd(42)} ${String(row.submits).padStart(4)} submits  encode ${String(row.encode_ms).padStart(8)} ms  submit ${String(row.submit_ms).padStart(8)} ms  wait ${String(row.wait_ms).padStart(8)} ms  total ${String(row.total_ms).padStart(8)} ms  (${row.us_per_dispatch} µs/dispatch)\n`);
    for (const b of [...ring, ...uniforms]) b.destroy();
  }
  // Buffer creation and mapped uploads, the way tfjs uploads a tensor made from JS values.
  const mk = (mapped: boolean, usage: number, size: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) {
      const b = device.createBuffer({ size, usage, mappedAtCreation: mapped });
      if (mapped) {
        new Float32Array(b.getMappedRange()).fill(1);
        b.unmap();
      }
      b.destroy();
    }
    return ((performance.now() - t0) / 50) * 1000;
  };
  const alloc = {
    storage_4B_us: +mk(false, STORAGE, 4).toFixed(1),
    storage_4MB_us: +mk(false, STORAGE, 4 << 20).toFixed(1),
    storage_64MB_us: +mk(false, STORAGE, 64 << 20).toFixed(1),
    mapped_staging_4B_us: +mk(true, GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC, 4).toFixed(1),
    mapped_staging_4MB_us: +mk(true, GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC, 4 << 20).toFixed(1),
  };
  process.stdout.write(`createBuffer (+ map, fill, unmap when mapped) + destroy, µs each: ${JSON.stringify(alloc)}\n`);
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ adapter: (adapter as unknown as { info?: unknown }).info, flags, cases: results, alloc }) + '\n');
  device.destroy();
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  },
);
