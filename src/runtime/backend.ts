// Backend selection for the runtime. `auto` tries, best first: tensorflow (libtensorflow through
// @tensorflow/tfjs-node-gpu or -node, when installed) → webgpu (Dawn through the `webgpu` package, when
// it finds an adapter) → wasm → cpu. Every backend that is skipped leaves a one-line note saying why.
// An explicitly requested backend that cannot start is a RunError with the reason and a hint.
import { existsSync, readdirSync } from 'node:fs';

import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { registerTrainingKernels } from './kernels/index.js';
import { RunError } from './types.js';

export { registerTrainingKernels } from './kernels/index.js';

export type BackendRequest = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface SelectedBackend {
  /** tfjs backend name: tensorflow, webgpu, wasm or cpu. */
  name: string;
  /** Short description of what runs the kernels. */
  device: string;
  /** Why better backends were skipped (one line each). */
  notes: string[];
}

type Attempt = { ok: true; device: string } | { ok: false; reasons: string[]; hint: string };

// ---------- tensorflow (libtensorflow bindings) ----------

const TF_NODE_PACKAGES = [
  { pkg: '@tensorflow/tfjs-node-gpu', device: 'libtensorflow with CUDA (@tensorflow/tfjs-node-gpu)' },
  { pkg: '@tensorflow/tfjs-node', device: 'libtensorflow on the CPU (@tensorflow/tfjs-node)' },
];

function isNotInstalled(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string };
  const code = err?.code;
  const msg = String(err?.message ?? '');
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Failed to load url/.test(msg)) && msg.includes(pkg);
}

const firstLine = (e: unknown): string => String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 200);

async function tryTensorflow(): Promise<Attempt> {
  const reasons: string[] = [];
  for (const { pkg, device } of TF_NODE_PACKAGES) {
    try {
      // A variable specifier: the packages are optional and not dependencies of siric.
      const spec: string = pkg;
      await import(spec);
    } catch (e) {
      reasons.push(isNotInstalled(e, pkg) ? `${pkg} is not installed (it downloads a native binary at install time; see docs)` : `${pkg} failed to load: ${firstLine(e)}`);
      continue;
    }
    if (!tf.findBackendFactory('tensorflow')) {
      reasons.push(`${pkg} loaded but registered no \`tensorflow\` backend with this @tensorflow/tfjs (${tf.version_core}); install a matching version`);
      continue;
    }
    try {
      if (await tf.setBackend('tensorflow')) return { ok: true, device };
      reasons.push(`${pkg} is installed but its backend failed to initialize`);
    } catch (e) {
      reasons.push(`${pkg} is installed but its backend failed to initialize: ${firstLine(e)}`);
    }
  }
  return { ok: false, reasons, hint: 'install @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node next to siric (their install downloads libtensorflow), or use backend = "auto"' };
}

// ---------- webgpu (Dawn) ----------

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string; featureLevel?: string }): Promise<GpuAdapterLike | null>;
}
interface WebgpuModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** What selectBackend set up for webgpu, so that releaseBackend can undo it. */
let webgpuState: { installedNavigator: boolean; definedGpu: boolean } | undefined;
/** A failed webgpu probe is remembered: it costs a Dawn start (and a Vulkan warning on stderr). */
let webgpuFailure: { reasons: string[]; hint: string } | undefined;

const WEBGPU_HINT = 'Dawn needs a Vulkan driver (libvulkan.so.1 and a GPU ICD); on a machine without one use backend = "auto" (falls back to wasm) or "wasm"';

function describeAdapter(a: GpuAdapterLike): string {
  const i = a.info ?? {};
  const parts = [i.vendor, i.architecture, i.device, i.description].filter((s): s is string => typeof s === 'string' && s.trim() !== '');
  return `WebGPU (Dawn)${parts.length ? `: ${[...new Set(parts)].join(' ')}` : ''}`;
}

async function tryWebgpu(): Promise<Attempt> {
  if (webgpuFailure) return { ok: false, ...webgpuFailure };
  const fail = (reason: string): Attempt => {
    webgpuFailure = { reasons: [reason], hint: WEBGPU_HINT };
    return { ok: false, ...webgpuFailure };
  };
  // Dawn reaches the GPU through the Vulkan loader; without one it only prints a warning with a
  // native stack trace to stderr. Look for the loader first and say plainly that it is missing.
  const dawn = dawnOptions();
  // Mesa's software Vulkan (lavapipe) lacks a feature Dawn requires: Dawn would only print a native
  // warning with a stack trace for it. Hide it from the Vulkan loader (1.3.234+), unless the user chose.
  process.env['VK_LOADER_DRIVERS_DISABLE'] ??= '*lvp_icd*';
  if (!dawn.gles && process.platform === 'linux' && !hasVulkanLoader()) return fail('no Vulkan loader (libvulkan.so.1) on this machine, so no GPU adapter can be found');
  if (!dawn.gles && process.platform === 'linux' && !hasGpuDeviceNode()) return fail('no GPU device on this machine (no /dev/nvidiaN, /dev/dri/renderD* or /dev/dxg)');
  let mod: WebgpuModule;
  try {
    const spec: string = 'webgpu';
    mod = (await import(spec)) as WebgpuModule;
  } catch (e) {
    return fail(isNotInstalled(e, 'webgpu') ? 'the optional package `webgpu` (Dawn for Node) is not installed' : `the \`webgpu\` package failed to load: ${firstLine(e)}`);
  }
  let gpu: GpuLike;
  let adapter: GpuAdapterLike | null;
  try {
    gpu = mod.create(dawn.flags);
    if (dawn.gles) gpu = compatibilityOnly(gpu);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return fail(`Dawn failed to start: ${firstLine(e)}`);
  }
  if (!adapter) return fail('no GPU adapter found (Dawn found no usable Vulkan device: no driver, or only a software one)');

  // What tfjs-backend-webgpu expects of a browser: the WebGPU globals and navigator.gpu, set before
  // its import (it registers the backend only when navigator.gpu exists).
  Object.assign(globalThis, mod.globals);
  const g = globalThis as { navigator?: Record<string, unknown> };
  const installedNavigator = g.navigator === undefined;
  if (installedNavigator) g.navigator = {};
  const definedGpu = !('gpu' in g.navigator!);
  if (definedGpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  webgpuState = { installedNavigator, definedGpu };
  try {
    const spec: string = '@tensorflow/tfjs-backend-webgpu';
    const pkg = (await import(spec)) as { WebGPUBackend: new (device: unknown, info?: unknown) => tf.KernelBackend };
    registerTrainingKernels(); // the package's kernels now exist: ours replace some (BatchMatMul)
    // Our factory replaces the package's: it asks the device for every limit the adapter has.
    // The package's asks for a few and leaves the rest at WebGPU's defaults, among them 8 storage
    // buffers per kernel (tf.addN of 8 tensors fails) and, on some adapters, 128 MiB per buffer.
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => createWebgpuBackend(gpu, pkg.WebGPUBackend), 3);
  } catch (e) {
    await releaseWebgpu();
    return fail(isNotInstalled(e, '@tensorflow/tfjs-backend-webgpu') ? 'the optional package @tensorflow/tfjs-backend-webgpu is not installed' : `@tensorflow/tfjs-backend-webgpu failed to load: ${firstLine(e)}`);
  }
  try {
    if (await tf.setBackend('webgpu')) {
      watchDeviceErrors();
      // tfjs submits its command buffer every N kernels (15 by default); a knob for measurements.
      const batch = Number(process.env['SIRIC_WEBGPU_SUBMIT_BATCH'] ?? '');
      if (batch > 0) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batch);
      return { ok: true, device: describeAdapter(adapter) };
    }
  } catch (e) {
    await releaseWebgpu();
    return fail(`the tfjs webgpu backend failed to initialize: ${firstLine(e)}`);
  }
  await releaseWebgpu();
  return fail('the tfjs webgpu backend failed to initialize (see the message above)');
}

interface GpuAdapterFull extends GpuAdapterLike {
  features: Set<string>;
  limits: Record<string, number>;
  requestDevice(d: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<unknown>;
}

/** What tfjs-backend-webgpu's own factory does, with every adapter limit requested. */
async function createWebgpuBackend(gpu: GpuLike, Backend: new (device: unknown, info?: unknown) => tf.KernelBackend): Promise<tf.KernelBackend> {
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as GpuAdapterFull | null;
  if (!adapter) throw new Error('no GPU adapter');
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  // GPUSupportedLimits exposes its values as getters on the prototype, so walk the prototype.
  for (const key of Object.keys(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(adapter.limits) as object))) {
    const v = (adapter.limits as Record<string, unknown>)[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const backend = new Backend(device, adapter.info);
  uploadWithWriteBuffer(backend as unknown as UploadingBackend);
  return backend;
}

interface UploadingBackend {
  uploadToGPU(dataId: object): void;
  tensorMap: { get(id: object): { dtype: string; shape: number[]; values: ArrayLike<number> | null; resource: unknown } | undefined };
  bufferManager: { acquireBuffer(size: number, usage: number): object };
  queue: { writeBuffer(buffer: object, offset: number, data: ArrayBufferView): void };
}

/**
 * tfjs uploads a tensor made from JavaScript values (inputs, masks, scalars) through a new mapped
 * staging buffer, created and destroyed per upload, and a copy that splits the compute pass. On an
 * H100 a created buffer cost 0.2–0.75 ms, and a training step made about 200 of them (measured:
 * docs/benchmarks.md). queue.writeBuffer into a pooled buffer does the same without either. It is
 * safe: a pooled buffer is never referenced by the command encoder still being recorded (tfjs
 * returns buffers to the pool only when that encoder is submitted), and writes are queued after
 * everything already submitted.
 */
function uploadWithWriteBuffer(b: UploadingBackend): void {
  const builtin = b.uploadToGPU.bind(b);
  const usage = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST, as tfjs's own
  b.uploadToGPU = (dataId: object): void => {
    const d = b.tensorMap.get(dataId);
    if (!d || d.resource != null || !d.values || !['float32', 'int32', 'bool'].includes(d.dtype)) return builtin(dataId);
    const n = d.shape.reduce((x, y) => x * y, 1);
    // tfjs stores bool and int32 as 32-bit integers on the GPU.
    const data = d.dtype === 'float32' ? (d.values instanceof Float32Array ? d.values : Float32Array.from(d.values)) : d.values instanceof Int32Array ? d.values : Int32Array.from(d.values);
    if (n === 0 || data.length !== n) return builtin(dataId);
    const buffer = b.bufferManager.acquireBuffer(4 * n, usage);
    b.queue.writeBuffer(buffer, 0, data);
    d.values = null; // once uploaded, tfjs keeps no CPU copy
    d.resource = buffer;
  };
}

/**
 * How Dawn is started. SIRIC_WEBGPU_ADAPTER=gles uses Dawn's OpenGL ES backend in WebGPU's
 * compatibility mode: with Mesa's software GL (llvmpipe) it gives a machine without a GPU a real,
 * slow WebGPU device, so that the webgpu code paths (and our WGSL kernels) are tested everywhere.
 * SIRIC_DAWN_FLAGS adds Dawn flags (space-separated, e.g. enable-dawn-features=disable_robustness).
 */
function dawnOptions(): { flags: string[]; gles: boolean } {
  const gles = process.env['SIRIC_WEBGPU_ADAPTER'] === 'gles';
  // Mesa's EGL needs no display server on its surfaceless platform.
  if (gles) process.env['EGL_PLATFORM'] ??= 'surfaceless';
  const extra = (process.env['SIRIC_DAWN_FLAGS'] ?? '').split(/\s+/).filter(Boolean);
  return { flags: [...(gles ? ['backend=opengles'] : []), ...extra], gles };
}

/** A navigator.gpu whose adapters are compatibility-mode ones (what Dawn's GL backend offers). */
function compatibilityOnly(gpu: GpuLike): GpuLike {
  return new Proxy(gpu, {
    get(target, prop) {
      if (prop === 'requestAdapter') return (o: Record<string, unknown> = {}) => target.requestAdapter({ ...o, featureLevel: 'compatibility' });
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * A kernel the GPU rejects (a validation error: too many buffers, a limit exceeded) makes WebGPU
 * drop the whole command buffer it was in, silently: later reads return stale memory. Such errors
 * are collected here and turned into a RunError by assertDeviceHealthy, which callers run after each
 * step, so that a wrong number is never reported as a result.
 */
const deviceErrors: string[] = [];

function watchDeviceErrors(): void {
  const device = (tf.backend() as { device?: { onuncapturederror: unknown } }).device;
  if (!device) return;
  device.onuncapturederror = (e: { error?: { message?: string } }) => {
    if (deviceErrors.length < 5) deviceErrors.push(String(e.error?.message ?? e).split('\n')[0]!.slice(0, 300));
  };
}

interface PooledBuffer {
  size: number;
  destroy(): void;
}
interface BufferPool {
  freeBuffers: Map<string, PooledBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

/**
 * Frees the GPU memory tfjs keeps in its pool of released buffers, when the pool holds more than
 * SIRIC_WEBGPU_POOL_MB (default 2048). The pool reuses a buffer only for a tensor of exactly its
 * size, and sampling makes new sizes at every token (the KV cache grows by one position), so
 * without this it keeps a buffer of every size it ever saw: 3,132 buffers of 284 sizes after
 * generating 100 tokens with a 4-layer toy model, gigabytes at real sizes. Returns the bytes freed.
 */
export function trimGpuBufferPool(limitBytes = Number(process.env['SIRIC_WEBGPU_POOL_MB'] ?? 2048) * 2 ** 20): number {
  if (tf.getBackend() !== 'webgpu') return 0;
  const pool = (tf.backend() as unknown as { bufferManager?: BufferPool }).bufferManager;
  if (!pool) return 0;
  let free = 0;
  for (const list of pool.freeBuffers.values()) for (const b of list) free += b.size;
  if (free <= limitBytes) return 0;
  // Empty the lists but keep their keys: tfjs stops pooling released buffers once the map is empty.
  for (const list of pool.freeBuffers.values()) {
    for (const b of list) b.destroy();
    list.length = 0;
  }
  pool.numFreeBuffers = 0;
  pool.numBytesAllocated -= free;
  return free;
}

/** Throws a RunError naming the first GPU error since the last call, if there was one. */
export function assertDeviceHealthy(): void {
  if (deviceErrors.length === 0) return;
  const first = deviceErrors[0]!;
  deviceErrors.length = 0;
  throw new RunError(`the GPU rejected a kernel, so this step's numbers are wrong: ${first}`, 'this is a bug in siric or in TensorFlow.js\'s webgpu backend; report it with the command you ran, and use backend = "wasm" meanwhile');
}

async function releaseWebgpu(): Promise<void> {
  if (!webgpuState) return;
  const backend = tf.findBackend('webgpu') as { device?: { destroy?: () => void } } | null;
  const device = backend?.device;
  if (tf.findBackendFactory('webgpu')) {
    try {
      tf.removeBackend('webgpu'); // disposes the backend's buffers (switches away if it was active)
    } catch {
      // nothing more to do
    }
  }
  try {
    device?.destroy?.();
  } catch {
    // already gone
  }
  const g = globalThis as { navigator?: Record<string, unknown> };
  if (webgpuState.definedGpu && g.navigator) delete g.navigator['gpu'];
  if (webgpuState.installedNavigator) delete g.navigator;
  webgpuState = undefined;
}

// ---------- wasm and cpu ----------

const cpuModel = (): string => os.cpus()[0]?.model.trim() || os.arch();

async function tryWasm(): Promise<Attempt> {
  const hint = 'reinstall @tensorflow/tfjs-backend-wasm (its .wasm files must sit in its dist/ folder), or use backend = "cpu"';
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return { ok: false, reasons: [isNotInstalled(e, '@tensorflow/tfjs-backend-wasm') ? '@tensorflow/tfjs-backend-wasm is not installed' : `@tensorflow/tfjs-backend-wasm failed to load: ${firstLine(e)}`], hint };
  }
  try {
    if (!(await tf.setBackend('wasm'))) return { ok: false, reasons: ['the WebAssembly module failed to initialize (see the message above)'], hint };
  } catch (e) {
    return { ok: false, reasons: [`the WebAssembly module failed to initialize: ${firstLine(e)}`], hint };
  }
  let simd = false;
  try {
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  } catch {
    // flag unknown: say nothing about SIMD
  }
  const threads = wasm.getThreadsCount();
  return { ok: true, device: `WebAssembly${simd ? ' SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'}, on ${cpuModel()}` };
}

async function tryCpu(): Promise<Attempt> {
  try {
    if (!(await tf.setBackend('cpu'))) return { ok: false, reasons: ['the cpu backend failed to initialize'], hint: 'reinstall @tensorflow/tfjs' };
  } catch (e) {
    return { ok: false, reasons: [`the cpu backend failed to initialize: ${firstLine(e)}`], hint: 'reinstall @tensorflow/tfjs' };
  }
  // The cpu backend prints an "install tfjs-node" banner on its first tensor; our notes say it better.
  const b = tf.backend() as { firstUse?: boolean };
  if ('firstUse' in b) b.firstUse = false;
  return { ok: true, device: `plain JavaScript kernels on ${cpuModel()}` };
}

const ATTEMPTS: Record<Exclude<BackendRequest, 'auto'>, () => Promise<Attempt>> = {
  tensorflow: tryTensorflow,
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: tryCpu,
};

const AUTO_ORDER: Exclude<BackendRequest, 'auto'>[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * Below this size `auto` does not pick webgpu. Measured on an H100 against this repo's 2-vCPU
 * machine: webgpu sampled 3.2k tokens/s for a 0.13M-parameter model and 1.4k for a 1M one, where
 * wasm on one CPU thread sampled 24k and 3.2k; webgpu's cost per token barely grows with the model,
 * wasm's grows with it, and they cross at a few million parameters.
 */
const WEBGPU_MIN_PARAMS = 5e6;

/**
 * Makes `requested` (or, for `auto`, the best available backend) the active tfjs backend, after
 * registering the kernels training needs. Throws RunError when an explicit backend is unavailable.
 */
export async function selectBackend(requested: BackendRequest, hint: { params?: number } = {}): Promise<SelectedBackend> {
  registerTrainingKernels();
  if (requested !== 'auto') {
    const attempt = Object.hasOwn(ATTEMPTS, requested) ? ATTEMPTS[requested as Exclude<BackendRequest, 'auto'>] : undefined;
    if (!attempt) throw new RunError(`unknown backend \`${String(requested)}\``, 'use one of auto, tensorflow, webgpu, wasm, cpu');
    const r = await attempt();
    if (!r.ok) throw new RunError(`backend \`${requested}\` is not available: ${r.reasons.join('; ')}`, r.hint);
    if (requested !== 'webgpu') await releaseWebgpu();
    await tf.ready();
    return { name: requested, device: r.device, notes: [] };
  }
  const notes: string[] = [];
  for (const name of AUTO_ORDER) {
    if (name === 'webgpu' && hint.params !== undefined && hint.params < WEBGPU_MIN_PARAMS) {
      notes.push(`webgpu: not tried for a model of ${(hint.params / 1e6).toFixed(2)}M parameters, which samples faster on wasm (a GPU kernel's fixed cost dominates at this size: see docs/benchmarks.md); set backend = "webgpu" to use it anyway`);
      continue;
    }
    const r = await ATTEMPTS[name]();
    if (r.ok) {
      if (name !== 'webgpu') await releaseWebgpu();
      await tf.ready();
      return { name, device: r.device, notes };
    }
    for (const reason of r.reasons) notes.push(`${name}: ${reason}`);
  }
  throw new RunError(`no TensorFlow.js backend could start:\n  ${notes.join('\n  ')}`, 'reinstall siric\'s dependencies (npm ci)');
}

/**
 * Undoes what selectBackend set up that would keep the process alive or hold a device: the webgpu
 * backend (its buffers and GPUDevice) and navigator.gpu. Safe to call at any time, and twice.
 * Dawn may still hold the event loop open afterwards: a CLI should exit explicitly when done.
 */
export async function releaseBackend(): Promise<void> {
  await releaseWebgpu();
}

/** Whether the kernel exposes a GPU: NVIDIA's device node, a DRM render node, or WSL's GPU. */
function hasGpuDeviceNode(): boolean {
  // A Vulkan driver named explicitly: trust it.
  if (process.env['VK_DRIVER_FILES'] || process.env['VK_ICD_FILENAMES']) return true;
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  return list('/dev').some((f) => /^nvidia\d+$/.test(f) || f === 'dxg') || list('/dev/dri').some((f) => f.startsWith('renderD'));
}

/** Whether libvulkan.so.1 is in a standard library folder or on LD_LIBRARY_PATH. */
function hasVulkanLoader(): boolean {
  const dirs = [...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/usr/local/lib', '/usr/local/nvidia/lib64'];
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`));
}
