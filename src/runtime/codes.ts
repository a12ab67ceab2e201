// The one catalog of run-time error codes (the compile-time ones are in diagnostics/messages.ts).
// Codes are stable: users' scripts and the docs rely on them. Each area has its own range:
//   R01xx inputs: model folders, tokenizers, data files and rows
//   R02xx run directories, manifests, checkpoints, resume and --from
//   R03xx rewards and judges (user reward modules included)
//   R04xx the training loop (updates, batches, sampling)
//   R05xx backends and devices
//   R09xx everything else
export const RUNTIME_CODES = {
  R0301: { title: 'a reward failed on too many responses (above its max_failure_rate)' },
  R0302: { title: 'a reward with on_error = fail failed' },
  R0401: { title: 'non-finite updates' },
  R0901: { title: 'run failed' },
} as const satisfies Record<string, { title: string }>;

export type RuntimeCode = keyof typeof RUNTIME_CODES;
