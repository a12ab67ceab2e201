// The one catalog of run-time error codes (the compile-time ones are in diagnostics/messages.ts).
// Codes are stable: users' scripts and the docs rely on them. Each area has its own range:
//   R01xx inputs: model folders, tokenizers, data files and rows
//   R02xx run directories, manifests, checkpoints, resume and --from
//   R03xx rewards and judges (user reward modules included)
//   R04xx the training loop (updates, batches, sampling)
//   R05xx backends and devices
//   R09xx everything else
export const RUNTIME_CODES = {
  R0101: { title: 'model folder not found' },
  R0102: { title: 'tokenizer not found or does not fit the model' },
  R0103: { title: 'data file not readable' },
  R0104: { title: 'malformed data row' },
  R0105: { title: 'no rows to train on' },
  R0106: { title: 'bad generated task' },
  R0107: { title: 'prompt longer than the model context' },
  R0108: { title: 'model folder unreadable or inconsistent' },
  R0109: { title: 'tokenizer files unreadable' },
  R0201: { title: 'not a run directory' },
  R0202: { title: 'pipeline changed since the run started' },
  R0203: { title: 'input file changed since the run started' },
  R0204: { title: 'no checkpoint to resume from' },
  R0205: { title: 'checkpoint incomplete or unreadable' },
  R0206: { title: 'checkpoint file corrupted' },
  R0207: { title: 'latest.json names a folder outside checkpoints' },
  R0208: { title: 'cannot start from that checkpoint' },
  R0209: { title: 'data position does not fit the data' },
  R0301: { title: 'a reward failed on too many responses (above its max_failure_rate)' },
  R0302: { title: 'a reward with on_error = fail failed' },
  R0303: { title: 'reward module cannot be loaded' },
  R0304: { title: 'reward module lacks the named export' },
  R0401: { title: 'non-finite updates' },
  R0501: { title: 'unknown backend' },
  R0502: { title: 'backend not available' },
  R0503: { title: 'no backend could start' },
  R0504: { title: 'GPU rejected a kernel' },
  R0901: { title: 'run failed' },
} as const satisfies Record<string, { title: string }>;

export type RuntimeCode = keyof typeof RUNTIME_CODES;
