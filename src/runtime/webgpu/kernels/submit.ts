// When tfjs-backend-webgpu hands its recorded kernels to the GPU. tfjs submits every N dispatches
// (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, 15 by default). Each submit costs CPU time (about 0.15 ms on
// the H100 machine with a full batch), so a step of many small kernels wants N large; but the GPU
// starts only at a submit, so a step of few large kernels wants its work handed over as soon as
// there is enough of it. Measured on an H100 (docs/benchmarks.md), with N = 15 and N = 48: the small
// transformer step took 48.7 and 37.3 ms, the MLP step (kernels over [8192, 2048]) 8.5 and 12.4 ms.
//
// So N is large, and the backend also submits as soon as the recorded kernels amount to about
// SUBMIT_GPU_US of GPU time, estimated from what they write (bytes at HBM speed) and, for matmuls,
// their arithmetic. 0.5 ms is a few times a submit's CPU cost: the MLP's big matmuls are handed
// over at once and its [8192, 2048] elementwise kernels about every 11 (close to the 15 measured
// best for it), while the small transformer's kernels, each far under the threshold, go 48 at a
// time. The threshold was set from those two measurements and has not been tuned on a GPU:
// SIRIC_WEBGPU_SUBMIT_US (and SIRIC_WEBGPU_SUBMIT_BATCH for N) are there to do that.

/** Dispatches per submit unless enough GPU work comes first (SIRIC_WEBGPU_SUBMIT_BATCH overrides). */
export const SUBMIT_BATCH = 48;

/** Estimated GPU microseconds of recorded work that trigger a submit (SIRIC_WEBGPU_SUBMIT_US overrides). */
export const SUBMIT_GPU_US = 500;

/** Bytes a kernel's output costs per estimated µs: about 2 bytes read and written per byte out at 3 TB/s. */
export const BYTES_PER_US = 1.5e6;
/** Matmul FLOPs per estimated µs (an H100's float32 rate with our kernel, ~35 TFLOP/s). */
const FLOPS_PER_US = 3.5e7;

interface SubmittingBackend {
  dispatchCountInPass: number;
  activeTimers: unknown;
  commandEncoder: unknown;
  endComputePassEncoder(): void;
  submitQueue(): void;
  runWebGPUProgram(...args: unknown[]): { shape: number[]; dtype: string };
}

/** Estimated µs of GPU work recorded since the last submit, per backend. */
const pending = new WeakMap<object, number>();

/** Submits what is recorded, if anything is (not while tf.profile times kernels: it submits each itself). */
export function submitRecorded(backend: unknown): void {
  const b = backend as SubmittingBackend;
  if (b.activeTimers != null || !b.commandEncoder || !(b.dispatchCountInPass > 0)) return;
  b.endComputePassEncoder();
  b.submitQueue();
}

/** A matmul's arithmetic, added to the estimate (its output bytes are counted by every kernel's wrapper). */
export function noteMatmulFlops(backend: unknown, flops: number): void {
  pending.set(backend as object, (pending.get(backend as object) ?? 0) + flops / FLOPS_PER_US);
}

/** Installs the policy on a tfjs webgpu backend: counts each kernel's estimated GPU time, submits past the threshold. */
export function installSubmitPolicy(backend: unknown): void {
  const b = backend as SubmittingBackend;
  const limit = Number(process.env['SIRIC_WEBGPU_SUBMIT_US'] ?? '') || SUBMIT_GPU_US;
  const submit = b.submitQueue.bind(b);
  b.submitQueue = (): void => {
    pending.set(b, 0);
    submit();
  };
  const run = b.runWebGPUProgram.bind(b);
  b.runWebGPUProgram = (...args: unknown[]) => {
    const out = run(...args);
    const bytes = 4 * out.shape.reduce((x, y) => x * y, 1);
    const us = (pending.get(b) ?? 0) + bytes / BYTES_PER_US;
    pending.set(b, us);
    if (us >= limit) submitRecorded(b);
    return out;
  };
}
