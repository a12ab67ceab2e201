// `siric run FILE`: compiles and checks the pipeline, then hands the graph to the runtime.
import { compileFile } from '../compiler.js';
import { renderPlan } from './plan.js';
import { EXIT, printDiagnostics, type Outcome } from './common.js';
import { validateIR } from '../ir/validate.js';

export interface RunOptions {
  set?: string[];
  backend?: string;
  out?: string;
  maxSteps?: number;
  resume?: string;
  tui?: boolean;
  json?: boolean;
}

export function runCommand(file: string, opts: RunOptions): Outcome {
  const set = [...(opts.set ?? [])];
  if (opts.backend) set.push(`pipeline.backend=${opts.backend}`);
  const out = compileFile(file, { mode: 'compile', sets: set });
  const stderr = printDiagnostics(out.diagnostics, out.texts);
  if (!out.ir) return { code: EXIT.errors, stderr };
  // The runtime reads only the IR, and checks it against the schema before it starts.
  const valid = validateIR(JSON.parse(JSON.stringify(out.ir)));
  if (!valid.ok) return { code: EXIT.usage, stderr: stderr + `error: invalid execution graph: ${valid.errors.join('; ')}\n` };
  const plan = renderPlan(out.ir, Math.min(process.stdout.columns ?? 100, 120));
  const missing =
    'siric run: the pipeline compiled and passed every check, but the training runtime (GRPO on TensorFlow.js)\n' +
    'is not part of this version yet, so nothing was trained. Use `siric plan` and `siric compile` meanwhile.\n';
  return { code: EXIT.usage, stdout: plan, stderr: stderr + missing };
}
