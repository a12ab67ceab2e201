// The webgpu backend: Dawn (the optional `webgpu` package) under tfjs-backend-webgpu, with what
// siric adds to it: every adapter limit requested, uploads through queue.writeBuffer, cached
// uniforms and bind groups (webgpu/dispatch-cache.ts), GPU errors
// turned into RunErrors, a trim of tfjs's buffer pool, and a software device for tests
// (SIRIC_WEBGPU_ADAPTER=gles). backend.ts decides when to try it.
import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { type Attempt, firstLine, isNotInstalled } from '../backend-attempt.js';
import { registerTrainingKernels } from '../kernels/index.js';
import { installSubmitPolicy, SUBMIT_BATCH } from './kernels/submit.js';
import { RunError } from '../types.js';
import { clearBindGroupCache, installDispatchCaches, memoizeBindGroupLayouts } from './dispatch-cache.js';

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

const WEBGPU_HINT = 'Dawn needs a Vulkan driver (libvulkan.so.1 and a GPU ICD); on a machine without one use --backend auto (falls back to wasm) or --backend wasm (in the pipeline block: backend = auto or backend = wasm)';

function describeAdapter(a: GpuAdapterLike): string {
  const i = a.info ?? {};
  const parts = [i.vendor, i.architecture, i.device, i.description].filter((s): s is string => typeof s === 'string' && s.trim() !== '');
  return `WebGPU (Dawn)${parts.length ? `: ${[...new Set(parts)].join(' ')}` : ''}`;
}

export async function tryWebgpu(): Promise<Attempt> {
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
      // tfjs submits its command buffer every N kernels (15 by default); ours is larger, with work
      // submitted early once there is enough of it (webgpu/kernels/submit.ts). SIRIC_WEBGPU_SUBMIT_BATCH sets N.
      const batch = Number(process.env['SIRIC_WEBGPU_SUBMIT_BATCH'] ?? '');
      tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batch > 0 ? batch : SUBMIT_BATCH);
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
  installSubmitPolicy(backend);
  // SIRIC_WEBGPU_DISPATCH_CACHE=0 turns the caches off (for measurements).
  if (process.env['SIRIC_WEBGPU_DISPATCH_CACHE'] !== '0') {
    const pipeline = (globalThis as unknown as { GPUComputePipeline?: { prototype: Record<string, unknown> } }).GPUComputePipeline;
    if (pipeline) {
      memoizeBindGroupLayouts(pipeline.prototype);
      installDispatchCaches(backend);
    }
  }
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
  clearBindGroupCache(); // cached bind groups may name the buffers about to be destroyed
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
  throw new RunError(`the GPU rejected a kernel, so this step's numbers are wrong: ${first}`, 'this is a bug in siric or in TensorFlow.js\'s webgpu backend; report it with the command you ran, and use --backend wasm (backend = wasm in the pipeline block) meanwhile', 'R0504');
}

export async function releaseWebgpu(): Promise<void> {
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
