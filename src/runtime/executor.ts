// Runs an execution graph: stages in order, each step's budget from the schedule, evals and
// checkpoints where the graph puts them, typed events for whoever watches. The loop yields to the
// event loop between steps, so a terminal UI stays live and Ctrl-C is seen within one step.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import type { IR, IRDataset, IREval, IRModel, IRReward, IRTrain } from '../ir/graph.js';
import { VERSION } from '../version.js';
import { assertDeviceHealthy, selectBackend } from './backend.js';
import { latestCheckpoint, loadCheckpoint, recoverCheckpoints, saveCheckpoint, writeJsonAtomic, type LoadedCheckpoint, type ResumeState } from './checkpoint.js';
import { ExampleStream, loadDataset } from './data/dataset.js';
import { fitDatasets } from './data/fit.js';
import { EvalJudges, judgeWarning, runEval } from './eval.js';
import { forkFrom } from './fork.js';
import { assertResumeInputs, hashInputs, pipelineInputs, type InputHashes } from './input-hashes.js';
import { configFromScratch, readHfConfig } from './model/hf-config.js';
import { readShardedSafetensors } from './model/safetensors.js';
import { parameterCount, Transformer } from './model/transformer.js';
import { AdamW, lrAt } from './optim/adamw.js';
import { buildRewards } from './rewards/index.js';
import { grpoRowExtras, grpoStep } from './rl/grpo.js';
import { shortBatchWarning } from './rl/dynamic-sampling.js';
import { NonfiniteGuard } from './optim/nonfinite.js';
import { decodeGraphTotals } from './rl/sampler.js';
import { UpdateGraphs } from './rl/update-graphs.js';
import { tensorsHeldByStepGraphs } from './webgpu-graph.js';
import { Rng } from './rng.js';
import { type SftGraphs, sftGraphs, sftStep } from './sft/sft.js';
import { CharTokenizer } from './tokenizer/chars.js';
import { loadTokenizerFile } from './tokenizer/index.js';
import type { EvalMetrics, LoadedDataset, RewardSet, RunEvent, StepMetrics, Tokenizer } from './types.js';
import { RunError } from './types.js';
import type { RuntimeCode } from './codes.js';

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

const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function execute(o: ExecOptions): Promise<ExecResult> {
  const { ir } = o;
  const seed = ir.pipeline.seed;
  const nodes = new Map(ir.nodes.map((n) => [n.id, n]));
  const policyNode = ir.nodes.find((n): n is IRModel => n.type === 'model' && n.id === ir.nodes.find((t): t is IRTrain => t.type === 'train')?.policy);
  const backend = await selectBackend(ir.pipeline.backend, { params: policyNode ? parameterEstimate(policyNode, o.baseDir) : undefined });
  const stages = ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order);
  const evals = ir.nodes.filter((n): n is IREval => n.type === 'eval');

  // --- model first (a missing folder is the most likely mistake), then data, tokenizer, rewards ---
  const policyIds = [...new Set(stages.map((s) => s.policy))];
  if (policyIds.length > 1) throw new RunError('this runtime trains one policy model per pipeline', `the stages name ${policyIds.join(', ')}`);
  const modelNode = nodes.get(policyIds[0] ?? '') as IRModel | undefined;
  if (!modelNode) throw new RunError('the pipeline has no train stage, so there is nothing to run');
  if (modelNode.source.kind === 'hf') {
    const dir = path.resolve(o.baseDir, modelNode.source.path);
    if (!fs.existsSync(dir)) throw new RunError(`model folder not found: ${dir}`, `the model \`${modelNode.name}\` names \`hf("${modelNode.source.path}")\`, relative to the pipeline file`, 'R0101');
  }
  const datasetIds = new Set([...stages.map((s) => s.data.dataset), ...evals.map((e) => e.data.dataset)]);
  const datasets = new Map<string, LoadedDataset>();
  for (const id of [...datasetIds].sort()) datasets.set(id, await loadDataset(nodes.get(id) as IRDataset, { baseDir: o.baseDir, seed }));
  const tokenizer = asInputError('R0109', () => makeTokenizer(modelNode, [...datasets.values()], o.baseDir));
  const model = asInputError('R0108', () => makeModel(modelNode, tokenizer, seed, o.baseDir));
  // Before anything trains: prompts the model has no room to answer stop here, naming file:line.
  const notes = fitDatasets(datasets, nodes, stages, { tokenizer, context: model.config.max_position_embeddings, model: modelNode.name });

  const rewardSets = new Map<string, RewardSet>();
  for (const s of stages) if (s.algorithm === 'grpo') rewardSets.set(s.id, await buildRewards(s.rewards.map((r) => nodes.get(r) as IRReward), { baseDir: o.baseDir }));
  // Each eval's judge (its own reward, or the built-in `Answer:` checker), loaded before anything runs.
  const judges = new EvalJudges(nodes, o.baseDir);
  for (const e of evals) await judges.for(e.judge);

  // --- the run directory: created only once everything above has loaded ---
  let runDir: string;
  let resume: LoadedCheckpoint | undefined;
  if (o.resumeDir) {
    runDir = o.resumeDir;
    const manifest = readManifest(runDir);
    if (manifest.ir.source_hash !== ir.source_hash) {
      throw new RunError(`the pipeline changed since ${runDir} started (source hash ${manifest.ir.source_hash.slice(7, 19)}… vs ${ir.source_hash.slice(7, 19)}…)`, 'resume with the same .siri files and --set overrides, or start a new run', 'R0202');
    }
    if (assertResumeInputs(manifest, ir, o.baseDir, runDir) === 'unrecorded') notes.push(`${runDir}/manifest.json records no hashes of the data, model and reward files (written by an older siric), so changes to them cannot be detected`);
    recoverCheckpoints(runDir); // a kill in the middle of a save leaves leftovers, maybe the only copy aside
    resume = loadCheckpoint(latestCheckpoint(runDir));
  } else {
    runDir = newRunDir(path.resolve(o.baseDir, o.outDir ?? ir.pipeline.out), ir.pipeline.name);
    writeJsonAtomic(path.join(runDir, 'manifest.json'), {
      siric: VERSION,
      created: new Date().toISOString(),
      pipeline: ir.pipeline.name,
      source_hash: ir.source_hash,
      // Where the pipeline's relative paths (data, models, reward modules) start: `siric eval` reads them from here.
      base_dir: path.resolve(o.baseDir),
      ...(o.fromCheckpoint ? { started_from: path.resolve(o.fromCheckpoint) } : {}),
      seed,
      overrides: ir.overrides,
      backend: { name: backend.name, device: backend.device, notes: backend.notes },
      versions: versions(),
      // What the run reads, by content: --resume and --from refuse a file that changed.
      inputs: hashInputs(pipelineInputs(ir, o.baseDir), o.baseDir),
      ir,
    });
    if (o.fromCheckpoint) {
      try {
        resume = forkFrom(o.fromCheckpoint, ir, tokenizer, runDir, o.baseDir);
      } catch (e) {
        fs.rmSync(runDir, { recursive: true, force: true }); // nothing ran: leave no empty run behind
        throw e;
      }
    }
  }
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  const samplesFile = path.join(runDir, 'samples.jsonl');
  if (resume) {
    truncateLines(metricsFile, resume.state.metrics_rows);
    truncateLines(samplesFile, resume.state.samples_rows);
  }
  if (resume) model.loadWeights(resume.weights);
  let metricsRows = resume?.state.metrics_rows ?? 0;
  let samplesRows = resume?.state.samples_rows ?? 0;
  const appendRow = (file: string, row: unknown): void => fs.appendFileSync(file, JSON.stringify(row) + '\n');

  const totalSteps = ir.total_steps;
  o.sink({ type: 'run_start', pipeline: ir.pipeline.name, file: ir.pipeline.file, run_dir: runDir, backend: `${backend.name} (${backend.device})`, backend_notes: backend.notes, total_steps: totalSteps, ...(resume ? { resumed_from: resume.dir } : {}) });
  for (const message of notes) o.sink({ type: 'warning', message });

  // On resume, the evals before the checkpoint are part of the run's summary too.
  const summary: EvalMetrics[] = resume && fs.existsSync(metricsFile) ? readEvalRows(metricsFile) : [];
  const evalsDone = new Set(resume?.state.evals_done ?? []);
  const runEvalsAt = async (globalStep: number, stage: string | null): Promise<void> => {
    for (const e of evals) {
      for (const p of e.points) {
        const key = `${e.id}@${p.step}`;
        if (p.step !== globalStep || p.stage !== stage || evalsDone.has(key)) continue;
        const split = datasets.get(e.data.dataset)!;
        const rows = e.data.split === 'train' ? split.train : e.data.split === 'eval' ? split.eval : [...split.train, ...split.eval];
        const m = await runEval(e, rows, { model, tokenizer, rewards: await judges.for(e.judge), seed }, { step: globalStep, stage: stage && nodes.get(stage)!.name, reason: p.reason });
        evalsDone.add(key);
        summary.push(m);
        appendRow(metricsFile, { ...m, global_step: globalStep });
        metricsRows++;
        o.sink({ type: 'eval', metrics: m });
        const warning = judgeWarning(m);
        if (warning) o.sink({ type: 'warning', message: warning });
      }
    }
  };
  if (!resume) await runEvalsAt(0, null);

  let stepsThisRun = 0;
  let status: ExecResult['status'] = 'done';
  const startIndex = resume ? stages.findIndex((s) => s.id === resume!.state.stage) + (resume.state.stage_done ? 1 : 0) : 0;
  outer: for (let si = Math.max(0, startIndex); si < stages.length; si++) {
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
    o.sink({ type: 'stage_start', stage: st.name, algorithm: st.algorithm, steps: st.steps, start_step: st.start_step });
    const decodedBefore = decodeGraphTotals();
    let lastPhase = -1;
    for (let k = resuming ? resume!.state.step : 0; k < st.steps; k++) {
      const g = st.start_step + k;
      const phaseIndex = st.budget.phase_by_step[k]!;
      const phase = st.budget.phases[phaseIndex]!;
      const budget = st.budget.by_step[k]!;
      if (phaseIndex !== lastPhase) {
        lastPhase = phaseIndex;
        o.sink({ type: 'phase_start', stage: st.name, phase: phase.name, cycle: phase.cycle, role: phase.role, step: g, from: phase.curve.from, to: phase.curve.to });
      }
      const lr = lrAt(k, st.steps, st.optimizer);
      const rng = new Rng(seed, `${st.id}/step/${k}`);
      // Tensors the update graphs keep between steps (inputs, last outputs) are not a leak.
      const tensorsBefore = tf.memory().numTensors - tensorsHeldByStepGraphs();
      const t0 = performance.now();
      let row: StepMetrics;
      const base = { type: 'train' as const, stage: st.name, algorithm: st.algorithm, step: k + 1, global_step: g + 1, phase: phase.name, cycle: phase.cycle, role: phase.role, max_tokens: budget, lr };
      if (st.algorithm === 'grpo') {
        const r = await grpoStep({ model, tokenizer, stage: st, stream, rewards: rewardSets.get(st.id)!, optimizer, ...(reference ? { reference } : {}), graphs: graphs as UpdateGraphs, nonfinite }, budget, lr, rng);
        const time = (performance.now() - t0) / 1000;
        const lens = r.rollouts.map((x) => x.response.length);
        const rewards = r.scores.total;
        const mean = avg(rewards);
        row = {
          ...base,
          reward_mean: mean,
          reward_std: Math.sqrt(avg(rewards.map((x) => (x - mean) ** 2))),
          accuracy: avg(r.scores.correct.map((c) => (c ? 1 : 0))),
          response_len_mean: avg(lens),
          response_len_max: Math.max(...lens),
          truncated_frac: avg(r.rollouts.map((x) => (x.truncated ? 1 : 0))),
          loss: r.loss,
          clip_frac: r.clipFrac,
          entropy: r.entropy,
          kl: r.kl,
          grad_norm: r.gradNorm,
          tokens_per_s: r.generated / time,
          time_s: time,
          groups_kept: r.groupsKept,
          reward_errors: r.scores.errors.length,
          ...grpoRowExtras(r),
        };
        if (r.groupsShort > 0) o.sink({ type: 'warning', message: shortBatchWarning(st, { kept: r.groupsKept, rounds: r.rounds }, g + 1) });
        for (const e of r.scores.errors.slice(0, 3)) o.sink({ type: 'warning', message: `reward \`${e.reward}\` failed on a response at step ${g + 1}: ${e.message}${e.at ? ` (at ${e.at})` : ''} (scored 0)` });
        const first = r.rollouts[0];
        if (first) {
          const s = { type: 'sample' as const, stage: st.name, step: g + 1, prompt: first.example.prompt, response: first.text, reward: rewards[0]!, correct: r.scores.correct[0]!, truncated: first.truncated };
          appendRow(samplesFile, s);
          samplesRows++;
          o.sink(s);
        }
      } else {
        const r = await sftStep({ model, tokenizer, stage: st, stream, optimizer, graphs: graphs as SftGraphs, nonfinite }, lr);
        const time = (performance.now() - t0) / 1000;
        row = { ...base, reward_mean: null, reward_std: null, accuracy: null, response_len_mean: r.responseLenMean, response_len_max: r.responseLenMax, truncated_frac: r.truncatedFrac, loss: r.loss, clip_frac: null, entropy: null, kl: null, grad_norm: r.gradNorm, tokens_per_s: r.tokens / time, time_s: time, groups_kept: null, reward_errors: 0, updates_skipped: r.skipped, ...(r.skipped ? { no_update: 'the update had a NaN or infinite gradient (skipped)' } : {}) };
      }
      assertDeviceHealthy();
      const leaked = tf.memory().numTensors - tensorsHeldByStepGraphs() - tensorsBefore;
      if (leaked > 0) o.sink({ type: 'warning', message: `step ${g + 1} left ${leaked} tensors allocated (a leak in siric)` });
      appendRow(metricsFile, row);
      metricsRows++;
      o.sink({ type: 'step', metrics: row });
      await runEvalsAt(g + 1, st.id);
      stepsThisRun++;
      // A run that has reached its last step is finished, whatever asked it to stop there.
      const lastStep = si === stages.length - 1 && k + 1 === st.steps;
      const stop = !lastStep && ((o.maxSteps !== undefined && stepsThisRun >= o.maxSteps) || !!o.stopRequested?.());
      const state = (): ResumeState => ({ stage: st.id, step: k + 1, global_step: g + 1, stage_done: k + 1 === st.steps, data: stream.state(), rng: { seed, step: k + 1 }, optimizer_step: optimizer.stepCount, metrics_rows: metricsRows, samples_rows: samplesRows, evals_done: [...evalsDone].sort() });
      const due = st.checkpoints.filter((c) => c.step === k + 1);
      for (const c of due) {
        const dir = await saveCheckpoint(runDir, c.name, { model, tokenizer, optimizer, state: state() }, { stage: st.name, siri: c.siri });
        o.sink({ type: 'checkpoint', name: c.name, path: dir, step: k + 1, global_step: g + 1, siri: c.siri });
      }
      o.afterStep?.({ model, tokenizer, globalStep: g + 1 });
      if (stop) {
        if (due.length === 0) {
          const dir = await saveCheckpoint(runDir, 'interrupted', { model, tokenizer, optimizer, state: state() }, { stage: st.name, siri: null });
          o.sink({ type: 'checkpoint', name: 'interrupted', path: dir, step: k + 1, global_step: g + 1, siri: null });
        }
        status = 'stopped';
        graphs.dispose();
        optimizer.dispose();
        reference?.dispose();
        break outer;
      }
      await nextTick();
    }
    const graphStats = graphs.stats();
    const decodedNow = decodeGraphTotals();
    const decoded = { steps: decodedNow.steps - decodedBefore.steps, replayed: decodedNow.replayed - decodedBefore.replayed };
    graphs.dispose();
    optimizer.dispose();
    reference?.dispose();
    o.sink({ type: 'stage_end', stage: st.name, ...(graphStats.updates > 0 ? { update_graphs: graphStats } : {}), ...(decoded.steps > 0 ? { decode_graphs: decoded } : {}) });
  }
  model.dispose();
  await judges.close();
  for (const r of rewardSets.values()) await r.close?.();
  o.sink({ type: 'run_end', status, summary, run_dir: runDir });
  return { status, runDir, summary };
}

/** What goes wrong reading a model folder or tokenizer is an input error: `code`, unless it has a code of its own. */
function asInputError<T>(code: RuntimeCode, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof RunError && e.code === 'R0901') throw new RunError(e.message, e.hint, code);
    throw e;
  }
}

const avg = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function makeTokenizer(m: IRModel, datasets: LoadedDataset[], baseDir: string): Tokenizer {
  if (m.tokenizer.kind === 'chars') return CharTokenizer.fromAlphabet(datasets.map((d) => d.alphabet).join(''));
  const file = path.join(path.resolve(baseDir, m.tokenizer.path), 'tokenizer.json');
  if (!fs.existsSync(file)) throw new RunError(`tokenizer not found: ${file}`, `the model \`${m.name}\` takes its tokenizer from that folder`, 'R0102');
  return loadTokenizerFile(file, { chatTemplate: m.chat_template });
}

/**
 * About how many parameters the model has, before anything is loaded (for the backend choice):
 * from config.json, or from the scratch sizes with a small vocabulary. Undefined if unknown.
 */
function parameterEstimate(m: IRModel, baseDir: string): number | undefined {
  try {
    const cfg = m.source.kind === 'hf' ? readHfConfig(path.resolve(baseDir, m.source.path)) : configFromScratch(m.source, 256, { bos: 0, eos: 1, pad: 2 }, m.dtype);
    return parameterCount(cfg);
  } catch {
    return undefined; // a missing or bad folder is reported, with its path, right after
  }
}

/** A new scratch model from the seed, or a local Hugging Face folder (config.json + safetensors). */
function makeModel(m: IRModel, tok: Tokenizer, seed: number, baseDir: string): Transformer {
  if (m.source.kind === 'hf') {
    const dir = path.resolve(baseDir, m.source.path);
    const cfg = readHfConfig(dir);
    if (cfg.vocab_size < tok.vocabSize) throw new RunError(`the model in ${dir} has ${cfg.vocab_size} token embeddings but its tokenizer has ${tok.vocabSize} tokens`, 'use the tokenizer the model was trained with', 'R0102');
    return new Transformer(cfg, readShardedSafetensors(dir).tensors, seed);
  }
  const cfg = configFromScratch(m.source, tok.vocabSize, { bos: tok.bos ?? tok.eos, eos: tok.eos, pad: tok.pad }, m.dtype);
  return new Transformer(cfg, undefined, seed);
}

function newRunDir(root: string, pipeline: string): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  fs.mkdirSync(path.join(root, pipeline), { recursive: true });
  // mkdir without `recursive` fails on an existing folder: two runs started in the same second
  // (a sweep running seeds in parallel) each get their own directory.
  for (let i = 1; ; i++) {
    const dir = path.join(root, pipeline, i === 1 ? stamp : `${stamp}-${i}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export function readManifest(runDir: string): { ir: IR; inputs?: InputHashes } {
  const file = path.join(runDir, 'manifest.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as { ir: IR; inputs?: InputHashes };
  } catch {
    throw new RunError(`${runDir} is not a run directory (no readable manifest.json)`, 'pass the folder that `siric run` printed, e.g. runs/quickstart/20261126-101500', 'R0201');
  }
}

/** Keep the first n lines (rows written after the checkpoint are replayed by the resumed run). */
function truncateLines(file: string, n: number): void {
  if (!fs.existsSync(file)) return;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  fs.writeFileSync(file, lines.slice(0, n).map((l) => l + '\n').join(''));
}

function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const v = (p: string): string => {
    try {
      return (require(`${p}/package.json`) as { version: string }).version;
    } catch {
      return 'absent';
    }
  };
  return { node: process.version, siric: VERSION, '@tensorflow/tfjs': v('@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': v('@tensorflow/tfjs-backend-wasm') };
}

function readEvalRows(file: string): EvalMetrics[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"eval"'))
    .map((l) => {
      const { global_step: _g, ...row } = JSON.parse(l) as EvalMetrics & { global_step: number };
      return row;
    });
}
