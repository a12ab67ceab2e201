// Step 3 of a run, once per train stage: its data stream, optimizer and step graphs, then its
// steps. A step trains (GRPO or SFT), writes its metrics row, runs the evals due, and saves the
// checkpoints due; a requested stop (Ctrl-C, --max-steps) saves an `interrupted` checkpoint
// unless one was just saved, and ends the run there.
import * as tf from '@tensorflow/tfjs';
import type { IR, IRDataset } from '../../ir/graph.js';
import { assertDeviceHealthy } from '../backend.js';
import { saveCheckpoint, type LoadedCheckpoint, type ResumeState } from '../checkpoint.js';
import { ExampleStream } from '../data/dataset.js';
import { Transformer } from '../model/transformer.js';
import { AdamW, lrAt } from '../optim/adamw.js';
import { NonfiniteGuard } from '../optim/nonfinite.js';
import { shortBatchWarning } from '../rl/dynamic-sampling.js';
import { grpoStep } from '../rl/grpo.js';
import { decodeGraphTotals } from '../rl/sampler.js';
import { UpdateGraphs } from '../rl/update-graphs.js';
import { Rng } from '../rng.js';
import { type SftGraphs, sftGraphs, sftStep } from '../sft/sft.js';
import type { RunEvent, StepMetrics, Tokenizer } from '../types.js';
import { tensorsHeldByStepGraphs } from '../webgpu/graph.js';
import type { EvalSchedule } from './evals.js';
import type { RunInputs } from './inputs.js';
import type { RunLog } from './run-dir.js';
import { grpoRow, sftRow, stepBase } from './step-row.js';

/** What every stage of one run shares. */
export interface RunContext {
  ir: IR;
  inputs: RunInputs;
  runDir: string;
  log: RunLog;
  evals: EvalSchedule;
  sink: (e: RunEvent) => void;
  /** Stop after this many steps in this invocation. */
  maxSteps?: number;
  stopRequested?: () => boolean;
  afterStep?: (s: { model: Transformer; tokenizer: Tokenizer; globalStep: number }) => void;
  /** Steps run in this invocation so far, across stages. */
  stepsThisRun: number;
}

const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Trains stage `si` from its first step, or from `resume`'s; 'stopped' when a stop was asked for with steps left. */
export async function trainStage(cx: RunContext, si: number, resume: LoadedCheckpoint | undefined): Promise<'done' | 'stopped'> {
  const { ir, inputs, log, sink } = cx;
  const { model, tokenizer, stages, nodes, datasets } = inputs;
  const seed = ir.pipeline.seed;
  const st = stages[si]!;
  const resuming = resume && resume.state.stage === st.id && !resume.state.stage_done;
  const ds = datasets.get(st.data.dataset)!;
  const rows = st.data.split === 'eval' ? ds.eval : st.data.split === 'all' ? [...ds.train, ...ds.eval] : ds.train;
  const stream = new ExampleStream(rows, { seed, name: st.id, shuffle: (nodes.get(st.data.dataset) as IRDataset).shuffle });
  const optimizer = new AdamW(model.params, { beta1: st.optimizer.beta1, beta2: st.optimizer.beta2, eps: st.optimizer.eps, weightDecay: st.optimizer.weight_decay });
  if (resuming) {
    stream.restore(resume!.state.data);
    if (resume!.optimizer) optimizer.importState(resume!.optimizer);
  }
  const reference = st.algorithm === 'grpo' && st.loss.kl_coef > 0 ? new Transformer(model.config, await model.exportWeights()) : undefined;
  // Step graphs for the stage's updates (used on webgpu only; nothing is made until a step runs).
  const graphs = st.algorithm === 'grpo' ? new UpdateGraphs(model, optimizer, st) : sftGraphs(model, optimizer, st);
  const nonfinite = new NonfiniteGuard(st.stop_after_nonfinite, st.name);
  const release = (): void => {
    graphs.dispose();
    optimizer.dispose();
    reference?.dispose();
  };
  sink({ type: 'stage_start', stage: st.name, algorithm: st.algorithm, steps: st.steps, start_step: st.start_step });
  const decodedBefore = decodeGraphTotals();
  let lastPhase = -1;
  for (let k = resuming ? resume!.state.step : 0; k < st.steps; k++) {
    const g = st.start_step + k;
    const phaseIndex = st.budget.phase_by_step[k]!;
    const phase = st.budget.phases[phaseIndex]!;
    const budget = st.budget.by_step[k]!;
    if (phaseIndex !== lastPhase) {
      lastPhase = phaseIndex;
      sink({ type: 'phase_start', stage: st.name, phase: phase.name, cycle: phase.cycle, role: phase.role, step: g, from: phase.curve.from, to: phase.curve.to });
    }
    const lr = lrAt(k, st.steps, st.optimizer);
    const rng = new Rng(seed, `${st.id}/step/${k}`);
    // Tensors the update graphs keep between steps (inputs, last outputs) are not a leak.
    const tensorsBefore = tf.memory().numTensors - tensorsHeldByStepGraphs();
    const t0 = performance.now();
    let row: StepMetrics;
    const base = stepBase(st, k, lr);
    if (st.algorithm === 'grpo') {
      const r = await grpoStep({ model, tokenizer, stage: st, stream, rewards: inputs.rewardSets.get(st.id)!, optimizer, ...(reference ? { reference } : {}), graphs: graphs as UpdateGraphs, nonfinite }, budget, lr, rng);
      row = grpoRow(base, r, (performance.now() - t0) / 1000);
      if (r.groupsShort > 0) sink({ type: 'warning', message: shortBatchWarning(st, { kept: r.groupsKept, rounds: r.rounds }, g + 1) });
      for (const e of r.scores.errors.slice(0, 3)) sink({ type: 'warning', message: `reward \`${e.reward}\` failed on a response at step ${g + 1}: ${e.message}${e.at ? ` (at ${e.at})` : ''} (scored 0)` });
      const first = r.rollouts[0];
      if (first) {
        const s = { type: 'sample' as const, stage: st.name, step: g + 1, prompt: first.example.prompt, response: first.text, reward: r.scores.total[0]!, correct: r.scores.correct[0]!, truncated: first.truncated };
        log.sample(s);
        sink(s);
      }
    } else {
      const r = await sftStep({ model, tokenizer, stage: st, stream, optimizer, graphs: graphs as SftGraphs, nonfinite }, lr);
      row = sftRow(base, r, (performance.now() - t0) / 1000);
    }
    assertDeviceHealthy();
    const leaked = tf.memory().numTensors - tensorsHeldByStepGraphs() - tensorsBefore;
    if (leaked > 0) sink({ type: 'warning', message: `step ${g + 1} left ${leaked} tensors allocated (a leak in siric)` });
    log.metric(row);
    sink({ type: 'step', metrics: row });
    await cx.evals.at(g + 1, st.id);
    cx.stepsThisRun++;
    // A run that has reached its last step is finished, whatever asked it to stop there.
    const lastStep = si === stages.length - 1 && k + 1 === st.steps;
    const stop = !lastStep && ((cx.maxSteps !== undefined && cx.stepsThisRun >= cx.maxSteps) || !!cx.stopRequested?.());
    const state = (): ResumeState => ({ stage: st.id, step: k + 1, global_step: g + 1, stage_done: k + 1 === st.steps, data: stream.state(), rng: { seed, step: k + 1 }, optimizer_step: optimizer.stepCount, metrics_rows: log.metricsRows, samples_rows: log.samplesRows, evals_done: [...cx.evals.done].sort() });
    const due = st.checkpoints.filter((c) => c.step === k + 1);
    for (const c of due) {
      const dir = await saveCheckpoint(cx.runDir, c.name, { model, tokenizer, optimizer, state: state() }, { stage: st.name, siri: c.siri });
      sink({ type: 'checkpoint', name: c.name, path: dir, step: k + 1, global_step: g + 1, siri: c.siri });
    }
    cx.afterStep?.({ model, tokenizer, globalStep: g + 1 });
    if (stop) {
      if (due.length === 0) {
        const dir = await saveCheckpoint(cx.runDir, 'interrupted', { model, tokenizer, optimizer, state: state() }, { stage: st.name, siri: null });
        sink({ type: 'checkpoint', name: 'interrupted', path: dir, step: k + 1, global_step: g + 1, siri: null });
      }
      release();
      return 'stopped';
    }
    await nextTick();
  }
  const graphStats = graphs.stats();
  const decodedNow = decodeGraphTotals();
  const decoded = { steps: decodedNow.steps - decodedBefore.steps, replayed: decodedNow.replayed - decodedBefore.replayed };
  release();
  sink({ type: 'stage_end', stage: st.name, ...(graphStats.updates > 0 ? { update_graphs: graphStats } : {}), ...(decoded.steps > 0 ? { decode_graphs: decoded } : {}) });
  return 'done';
}
