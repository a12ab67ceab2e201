// When tfjs-backend-webgpu hands its recorded kernels to the GPU. tfjs submits every N dispatches
// (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE). Each submit has a CPU cost, so a step of many small kernels
// wants N large; but the GPU starts only at a submit, so a step of few large kernels wants work
// handed over as soon as there is enough of it. Measured on an H100 (docs/benchmarks.md): the small
// transformer step took 48.7 ms with N = 15 and 37.3 ms with N = 48; the MLP step 8.5 and 12.4 ms.
// So N is large, and a kernel with enough arithmetic (a big matmul) is submitted at once.

/** Dispatches per submit unless a heavy kernel comes first (SIRIC_WEBGPU_SUBMIT_BATCH overrides). */
export const SUBMIT_BATCH = 48;

/** FLOPs from which a matmul is submitted at once: about 60 µs of an H100's float32 rate. */
export const HEAVY_MATMUL_FLOPS = 2e9;

interface SubmittingBackend {
  dispatchCountInPass: number;
  activeTimers: unknown;
  commandEncoder: unknown;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Submits what is recorded, if anything is (not while tf.profile times kernels: it submits each itself). */
export function submitRecorded(backend: unknown): void {
  const b = backend as SubmittingBackend;
  if (b.activeTimers != null || !b.commandEncoder || !(b.dispatchCountInPass > 0)) return;
  b.endComputePassEncoder();
  b.submitQueue();
}
