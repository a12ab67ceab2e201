// Backend selection for the runtime. `auto` tries, best first: tensorflow (libtensorflow through
// @tensorflow/tfjs-node-gpu or -node, when installed) → webgpu (Dawn through the `webgpu` package, when
// it finds an adapter) → wasm → cpu. Every backend that is skipped leaves a one-line note saying why.
// An explicitly requested backend that cannot start is a RunError with the reason and a hint.
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { type Attempt, firstLine, isNotInstalled } from './backend-attempt.js';
import { releaseWebgpu, tryWebgpu } from './webgpu/backend.js';
import { registerTrainingKernels } from './kernels/index.js';
import { RunError } from './types.js';

export { assertDeviceHealthy, trimGpuBufferPool } from './webgpu/backend.js';
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

// ---------- tensorflow (libtensorflow bindings) ----------

const TF_NODE_PACKAGES = [
  { pkg: '@tensorflow/tfjs-node-gpu', device: 'libtensorflow with CUDA (@tensorflow/tfjs-node-gpu)' },
  { pkg: '@tensorflow/tfjs-node', device: 'libtensorflow on the CPU (@tensorflow/tfjs-node)' },
];

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
  return { ok: false, reasons, hint: 'install @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node next to siric (their install downloads libtensorflow), or use --backend auto (backend = auto in the pipeline block)' };
}

// ---------- wasm and cpu ----------

const cpuModel = (): string => os.cpus()[0]?.model.trim() || os.arch();

async function tryWasm(): Promise<Attempt> {
  const hint = 'reinstall @tensorflow/tfjs-backend-wasm (its .wasm files must sit in its dist/ folder), or use --backend cpu (backend = cpu in the pipeline block)';
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
    if (!attempt) throw new RunError(`unknown backend \`${String(requested)}\``, 'use one of auto, tensorflow, webgpu, wasm, cpu', 'R0501');
    const r = await attempt();
    if (!r.ok) throw new RunError(`backend \`${requested}\` is not available: ${r.reasons.join('; ')}`, r.hint, 'R0502');
    if (requested !== 'webgpu') await releaseWebgpu();
    await tf.ready();
    return { name: requested, device: r.device, notes: [] };
  }
  const notes: string[] = [];
  for (const name of AUTO_ORDER) {
    if (name === 'webgpu' && hint.params !== undefined && hint.params < WEBGPU_MIN_PARAMS) {
      notes.push(`webgpu: not tried for a model of ${(hint.params / 1e6).toFixed(2)}M parameters, which samples faster on wasm (a GPU kernel's fixed cost dominates at this size: see docs/benchmarks.md); use it anyway with --backend webgpu, or backend = webgpu in the pipeline block`);
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
  throw new RunError(`no TensorFlow.js backend could start:\n  ${notes.join('\n  ')}`, 'reinstall siric\'s dependencies (npm ci)', 'R0503');
}

/**
 * Undoes what selectBackend set up that would keep the process alive or hold a device: the webgpu
 * backend (its buffers and GPUDevice) and navigator.gpu. Safe to call at any time, and twice.
 * Dawn may still hold the event loop open afterwards: a CLI should exit explicitly when done.
 */
export async function releaseBackend(): Promise<void> {
  await releaseWebgpu();
}
