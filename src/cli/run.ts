// `siric run FILE`: compile and check the pipeline, then train it. The runtime (and TensorFlow.js)
// is loaded only here, so the other commands start in milliseconds.
import * as path from 'node:path';
import { compileFile } from '../compiler.js';
import { validateIR } from '../ir/validate.js';
import { EXIT, printDiagnostics, type Outcome } from './common.js';
import { shellQuote, siricCommand } from '../util/siric-command.js';
import type { RunEvent } from '../runtime/types.js';

export interface RunOptions {
  set?: string[];
  backend?: string;
  out?: string;
  maxSteps?: number;
  resume?: string;
  from?: string;
  tui?: boolean;
  json?: boolean;
}

export async function runCommand(file: string, opts: RunOptions): Promise<Outcome> {
  if (opts.resume && opts.from) return { code: EXIT.usage, stderr: 'error: --resume continues a run and --from starts a new one: give one of them\n' };
  const set = [...(opts.set ?? [])];
  if (opts.backend) set.push(`pipeline.backend=${opts.backend}`);
  const out = compileFile(file, { mode: 'compile', sets: set, readFiles: true });
  const stderr = printDiagnostics(out.diagnostics, out.texts);
  if (!out.ir) return { code: EXIT.errors, stderr };
  process.stderr.write(stderr);
  // The runtime reads only the graph, and checks it against the schema before it starts.
  const valid = validateIR(JSON.parse(JSON.stringify(out.ir)));
  if (!valid.ok) return { code: EXIT.internal, stderr: `error: invalid execution graph: ${valid.errors.join('; ')}\n` };

  const [{ execute }, { plainLine, summaryTable }, { jsonLine }, { RunError, formatRunError }] = await Promise.all([import('../runtime/executor/index.js'), import('../ui/plain.js'), import('../ui/json.js'), import('../runtime/types.js')]);
  // The live view only in an interactive terminal; CI, pipes, --no-tui and --json get lines.
  // (CI counts as set when defined at all, even empty, as ink itself reads it.)
  const ci = process.env['CI'] !== undefined && process.env['CI'] !== '0' && process.env['CI'] !== 'false';
  const live = !opts.json && opts.tui !== false && !!process.stdout.isTTY && !ci;
  const tui = live ? (await import('../ui/tui/index.js')).startTui(valid.ir) : undefined;
  const write = (e: RunEvent): void => {
    if (tui) {
      tui.sink(e);
      if (e.type === 'run_end') process.stdout.write(summaryTable(e.summary) + (e.status === 'done' ? `done: ${e.run_dir}\n` : ''));
      return;
    }
    const line = opts.json ? jsonLine(e) : plainLine(e);
    if (line !== undefined) process.stdout.write(line + '\n');
  };
  // First Ctrl-C: finish the step, write a checkpoint, stop. Second: stop at once (the last
  // complete checkpoint stays intact: checkpoints are written to a temporary folder and renamed).
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    const message = 'stopping after this step and writing a checkpoint (Ctrl-C again to stop at once)';
    if (interrupts > 1) process.exit(EXIT.interrupted);
    if (tui) tui.sink({ type: 'warning', message });
    else process.stderr.write(`\n${message}\n`);
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await execute({
      ir: valid.ir,
      baseDir: path.dirname(path.resolve(file)),
      ...(opts.out ? { outDir: path.resolve(opts.out) } : {}),
      ...(opts.resume ? { resumeDir: path.resolve(opts.resume) } : {}),
      ...(opts.from ? { fromCheckpoint: path.resolve(opts.from) } : {}),
      ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}),
      sink: write,
      stopRequested: () => interrupts > 0,
    });
    if (result.status === 'stopped') {
      const rel = path.relative(process.cwd(), result.runDir);
      // The run's --set overrides are part of its pipeline: resuming without them is refused.
      const sets = (opts.set ?? []).map((x) => ` --set ${shellQuote(x)}`).join('');
      const hint = `resume with: ${siricCommand()} run ${shellQuote(file)}${sets} --resume ${shellQuote(rel.startsWith('..') ? result.runDir : rel)}\n`;
      return { code: interrupts > 0 ? EXIT.interrupted : EXIT.ok, stderr: hint };
    }
    return { code: EXIT.ok };
  } catch (e) {
    if (e instanceof RunError) return { code: EXIT.errors, stderr: formatRunError(e) };
    throw e;
  } finally {
    tui?.close();
    process.off('SIGINT', onSigint);
    const { releaseBackend } = await import('../runtime/backend.js');
    await releaseBackend();
  }
}
