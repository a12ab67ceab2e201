// What a verl job cannot express, found in the IR. Each refusal names the IR node and the key
// whose value has no verl equivalent; check.ts turns that into a diagnostic on the user's line.
import type { IR, IREval, IRTrain } from '../../ir/graph.js';
import type { Code } from '../../diagnostics/messages.js';
import { cadence, planJob } from './map.js';

export interface Refusal {
  code: Code;
  message: string;
  label: string;
  hint: string;
  /** The IR node and the key (as written in .siri) to underline. */
  at: { node: string; key: string[] };
}

const SAMPLING_KEYS = ['mode', 'samples', 'temperature', 'top_p', 'max_tokens'] as const;

export function refusals(ir: IR): Refusal[] {
  const out: Refusal[] = [];
  const trains = ir.nodes.filter((n): n is IRTrain => n.type === 'train');
  for (const t of trains.filter((t) => t.algorithm === 'sft')) {
    out.push({
      code: 'E0607',
      message: `the SFT stage \`${t.name}\` has no place in a verl GRPO job`,
      label: 'an SFT stage',
      hint: "verl's SFT trainer (verl.trainer.sft_trainer) is a separate job whose merged output would have to become this job's model; siric does not chain the two yet: train the SFT model first (`siric run`, or verl's SFT trainer), point `policy` at it with `source = hf(\"...\")`, and compile a pipeline with only the GRPO stage",
      at: { node: t.id, key: ['algorithm'] },
    });
  }
  const grpo = trains.filter((t) => t.algorithm === 'grpo');
  for (const t of grpo.slice(1)) {
    out.push({ code: 'E0608', message: `a verl job runs one GRPO stage; \`${t.name}\` is a second one`, label: 'a second GRPO stage', hint: `compile each stage as its own pipeline, starting the later one from the earlier one's exported checkpoint (\`bash export.sh\`)`, at: { node: t.id, key: ['algorithm'] } });
  }
  const plan = planJob(ir);
  if (!plan) return out;
  const { stage, model } = plan;
  if (model.source.kind === 'scratch') {
    out.push({ code: 'E0601', message: `verl trains Hugging Face models only; \`${model.name}\` is built from scratch`, label: 'no verl equivalent', hint: 'use `source = hf("path/to/model")`: a local Hugging Face folder with config.json and weights', at: { node: model.id, key: ['source'] } });
  }
  if (model.tokenizer.kind === 'chars') {
    out.push({ code: 'E0602', message: `verl needs a Hugging Face tokenizer; \`${model.name}\` uses the \`chars\` tokenizer`, label: 'no verl equivalent', hint: 'use `tokenizer = auto` with an hf model, or `tokenizer = hf("path/to/tokenizer")`', at: { node: model.id, key: ['tokenizer'] } });
  }
  if (model.chat_template === 'none') {
    out.push({ code: 'E0609', message: `verl's agent loop always applies the tokenizer's chat template; \`${model.name}\` has \`chat_template = none\``, label: 'not expressible in verl', hint: 'use `chat_template = auto` (the tokenizer\'s own template)', at: { node: model.id, key: ['chat_template'] } });
  }
  for (const id of stage.rewards) {
    const r = ir.nodes.find((n) => n.id === id);
    if (r?.type === 'reward' && r.kind === 'custom' && typeof r.params['python_module'] !== 'string') {
      out.push({ code: 'E0603', message: `the custom reward \`${r.name}\` is a JavaScript module, which a verl job cannot run`, label: 'a .js/.ts module', hint: 'give it the same reward in Python, `python_module = "reward.py"` (a file with `compute(input)`, docs/scale-out.md), or use the built-in kinds, which the job ports to Python', at: { node: r.id, key: ['module'] } });
    }
  }
  if (stage.loss.overlong_filter) {
    out.push({ code: 'E0604', message: 'verl has no setting that masks truncated responses out of the loss (`overlong = filter`)', label: 'no verl equivalent', hint: 'remove `overlong = filter`, and use the soft penalty instead: `rewards = [..., rewards.soft_overlong(buffer = 4k tokens)]`', at: { node: stage.id, key: ['overlong'] } });
  }
  if (stage.optimizer.lr_schedule === 'linear') {
    out.push({ code: 'E0605', message: "verl's learning-rate schedules are `constant` and `cosine`; `linear` has no equivalent", label: 'no verl equivalent', hint: 'use `lr_schedule = cosine` or `lr_schedule = constant`', at: { node: stage.id, key: ['lr_schedule'] } });
  }
  const first = plan.evals[0];
  for (const e of plan.evals.slice(1)) {
    const differs = SAMPLING_KEYS.find((k) => e[k] !== first![k]) ?? (e.data.dataset === first!.data.dataset && e.data.split === first!.data.split && e.limit !== first!.limit ? 'limit' : undefined);
    if (differs) out.push(differentEval(e, first!, differs));
  }
  return out;
}

function differentEval(e: IREval, first: IREval, key: string): Refusal {
  return {
    code: 'E0606',
    message: `verl runs every eval with one set of sampling settings; \`${e.name}\` has \`${key} = ${String(e[key as keyof IREval])}\` where \`${first.name}\` has \`${String(first[key as keyof IREval])}\``,
    label: 'differs from the first eval',
    hint: `give every eval the same mode, samples, temperature, top_p and max_tokens (those of \`${first.name}\`), or compile one pipeline per setting`,
    at: { node: e.id, key: [key] },
  };
}

export interface Approximation {
  code: Code;
  message: string;
  label: string;
  hint: string;
  at: { node: string; key: string[] };
}

/** Settings that map, but not exactly: warnings, so nothing changes meaning silently. */
export function approximations(ir: IR): Approximation[] {
  const plan = planJob(ir);
  if (!plan) return [];
  const { stage } = plan;
  const out: Approximation[] = [];
  if (stage.dynamic_sampling.enabled) {
    out.push({
      code: 'W0050',
      message: `\`max_rounds = ${stage.dynamic_sampling.max_rounds}\` has no verl equivalent: verl's V1 trainer refills the batch without bound`,
      label: 'not bounded under verl',
      hint: 'on data too hard (or too easy) for the model a verl step can keep sampling; watch the job\'s generation rounds, or set `dynamic_sampling = off`',
      at: { node: stage.id, key: ['dynamic_sampling'] },
    });
  }
  const saves = cadence(plan.checkpointSteps, stage.steps);
  if (saves.extra.length) {
    out.push({ code: 'W0051', message: `verl saves every ${saves.freq} steps, so it also writes ${saves.extra.length} checkpoint(s) the pipeline does not name (steps ${short(saves.extra)})`, label: 'extra checkpoints', hint: 'checkpoints.json lists only the named ones (export.sh merges those); delete the others, or choose checkpoint steps with a larger common divisor', at: { node: stage.id, key: ['checkpoint'] } });
  }
  const e = plan.evals[0];
  const evals = cadence(plan.evalSteps, stage.steps);
  if (e && evals.extra.length) {
    out.push({ code: 'W0051', message: `verl validates every ${evals.freq} steps, so it also evaluates at ${evals.extra.length} step(s) the pipeline does not ask for (steps ${short(evals.extra)})`, label: 'extra evals', hint: 'harmless but costly; choose eval steps with a larger common divisor', at: { node: e.id, key: ['every'] } });
  }
  return out;
}

const short = (xs: number[]): string => (xs.length > 6 ? `${xs.slice(0, 6).join(', ')}, ...` : xs.join(', '));
