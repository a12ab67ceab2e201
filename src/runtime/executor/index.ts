// Runs an execution graph: stages in order, each step's budget from the schedule, evals and
// checkpoints where the graph puts them, typed events for whoever watches. The loop yields to the
// event loop between steps, so a terminal UI stays live and Ctrl-C is seen within one step.
//
// A run, in the order it happens:
//   1. inputs.ts   load what it reads (backend, data, tokenizer, model, rewards, judges)
//   2. run-dir.ts  open its directory (new, --resume, --from) and its logs
//   3. evals.ts    the evals before the first step, then after the steps the graph names
//   4. stage.ts    each train stage's steps, metrics rows (step-row.ts) and checkpoints
import type { IR } from '../../ir/graph.js';
import type { Transformer } from '../model/transformer.js';
import type { EvalMetrics, RunEvent, Tokenizer } from '../types.js';
import { EvalSchedule } from './evals.js';
import { loadInputs, releaseInputs } from './inputs.js';
import { openRun, RunLog } from './run-dir.js';
import { trainStage, type RunContext } from './stage.js';

export { readManifest } from './run-dir.js';

export interface ExecOptions {
  ir: IR;
  /** The pipeline file's folder: data and model paths in the graph are relative to it. */
  baseDir: string;
  /** Where run directories go (default: the pipeline's `out`, relative to baseDir). */
  outDir?: string;
  /** Continue this run directory from its latest checkpoint. */
  resumeDir?: string;
  /** Start a new run from another run's checkpoint, when everything before it is the same. */
  fromCheckpoint?: string;
  /** Stop after this many steps (in this invocation), leaving a checkpoint to resume from. */
  maxSteps?: number;
  sink: (e: RunEvent) => void;
  /** Polled between steps: true asks for a clean stop (finish the step, checkpoint, return). */
  stopRequested?: () => boolean;
  /** Called after each step's checkpoints, with the live model (tests compare it with a checkpoint); not to be kept. */
  afterStep?: (s: { model: Transformer; tokenizer: Tokenizer; globalStep: number }) => void;
}

export interface ExecResult {
  status: 'done' | 'stopped';
  runDir: string;
  summary: EvalMetrics[];
}

export async function execute(o: ExecOptions): Promise<ExecResult> {
  const { ir, sink } = o;
  // 1. Everything the run reads, before its directory exists.
  const inputs = await loadInputs(ir, o.baseDir);
  const { backend, stages } = inputs;
  // 2. The run directory (new, resumed or forked) and its logs.
  const { runDir, resume } = openRun(ir, inputs, o);
  const log = new RunLog(runDir, resume);
  if (resume) inputs.model.loadWeights(resume.weights);
  sink({ type: 'run_start', pipeline: ir.pipeline.name, file: ir.pipeline.file, run_dir: runDir, backend: `${backend.name} (${backend.device})`, backend_notes: backend.notes, total_steps: ir.total_steps, ...(resume ? { resumed_from: resume.dir } : {}) });
  for (const message of inputs.notes) sink({ type: 'warning', message });

  // 3. The evals before the first step (a resumed run has them in its log already).
  const evals = new EvalSchedule(ir, inputs, log, sink, resume?.state);
  if (!resume) await evals.at(0, null);

  // 4. The stages, from the one the checkpoint was taken in.
  const cx: RunContext = { ir, inputs, runDir, log, evals, sink, stepsThisRun: 0, ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}), ...(o.stopRequested ? { stopRequested: o.stopRequested } : {}), ...(o.afterStep ? { afterStep: o.afterStep } : {}) };
  const first = resume ? stages.findIndex((s) => s.id === resume.state.stage) + (resume.state.stage_done ? 1 : 0) : 0;
  let status: ExecResult['status'] = 'done';
  for (let si = Math.max(0, first); si < stages.length && status === 'done'; si++) status = await trainStage(cx, si, resume);

  await releaseInputs(inputs);
  sink({ type: 'run_end', status, summary: evals.summary, run_dir: runDir });
  return { status, runDir, summary: evals.summary };
}
