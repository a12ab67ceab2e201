// `siric eval`: score any saved checkpoint on any dataset a pipeline declares — greedy pass@1 and,
// with samples > 1, mean@n — reporting accuracy and mean response tokens like the run's evals.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IR, IRDataset, IREval, IRModel, IRTrain } from '../ir/graph.js';
import { selectBackend, type BackendRequest } from './backend.js';
import { loadDataset } from './data/dataset.js';
import { EvalJudges, runEval, type EvalRow } from './eval.js';
import { answerReward } from '../ir/judge.js';
import { readHfConfig } from './model/hf-config.js';
import { readShardedSafetensors } from './model/safetensors.js';
import { parameterCount, Transformer } from './model/transformer.js';
import { loadTokenizerFile } from './tokenizer/index.js';
import type { EvalMetrics } from './types.js';
import { RunError } from './types.js';

export interface EvalCheckpointOptions {
  checkpoint: string;
  /** The graph that declares the dataset and the rewards that check answers. */
  ir: IR;
  /** Where the graph's relative paths start. */
  baseDir: string;
  /** The seed that generated the data (a generated task's rows depend on it). */
  seed: number;
  dataset: string;
  split: 'train' | 'eval' | 'all';
  samples: number;
  temperature: number;
  topP: number;
  maxTokens?: number;
  limit?: number;
  backend: BackendRequest;
  /** Every judged response, greedy first, then the samples (`siric eval --rows`). */
  onRow?: (r: EvalRow) => void;
}

export interface EvalCheckpointResult {
  backend: string;
  dataset: string;
  split: string;
  max_tokens: number;
  greedy: EvalMetrics;
  /** Mean over `samples` sampled responses per problem (absent when samples = 1). */
  sampled?: EvalMetrics;
}

/** Finds the run directory a checkpoint belongs to (runs/<pipeline>/<id>/checkpoints/<name>). */
export function runDirOf(checkpoint: string): string | undefined {
  const up = path.resolve(checkpoint, '..', '..');
  return path.basename(path.dirname(path.resolve(checkpoint))) === 'checkpoints' && fs.existsSync(path.join(up, 'manifest.json')) ? up : undefined;
}

export async function evaluateCheckpoint(o: EvalCheckpointOptions): Promise<EvalCheckpointResult> {
  const dir = path.resolve(o.checkpoint);
  for (const f of ['config.json', 'tokenizer.json']) {
    if (!fs.existsSync(path.join(dir, f))) throw new RunError(`${dir} is not a checkpoint: no ${f}`, 'pass a folder written by `siric run`, e.g. runs/<pipeline>/<id>/checkpoints/<name>, or a Hugging Face model folder');
  }
  const nodes = new Map(o.ir.nodes.map((n) => [n.id, n]));
  const datasets = o.ir.nodes.filter((n): n is IRDataset => n.type === 'dataset');
  const node = datasets.find((d) => d.name === o.dataset || d.id === o.dataset);
  if (!node) {
    const names = datasets.map((d) => d.name);
    throw new RunError(`no dataset \`${o.dataset}\` in the pipeline`, names.length ? `the pipeline declares: ${names.join(', ')}` : 'the pipeline declares no datasets');
  }
  const backend = await selectBackend(o.backend, { params: parameterCount(readHfConfig(dir)) });
  const data = await loadDataset(node, { baseDir: o.baseDir, seed: o.seed });
  const rows = o.split === 'train' ? data.train : o.split === 'eval' ? data.eval : [...data.train, ...data.eval];
  if (rows.length === 0) throw new RunError(`dataset \`${node.name}\` has no rows in its ${o.split} split`, o.split === 'eval' ? 'use --split train, or give the dataset a `holdout`' : undefined);

  // The policy's chat-template setting, as in training (a checkpoint keeps the template files).
  const policyId = o.ir.nodes.find((n): n is IRTrain => n.type === 'train')?.policy;
  const policy = o.ir.nodes.find((n): n is IRModel => n.type === 'model' && (policyId === undefined || n.id === policyId));
  const tokenizer = loadTokenizerFile(path.join(dir, 'tokenizer.json'), policy ? { chatTemplate: policy.chat_template } : {});
  const model = new Transformer(readHfConfig(dir), readShardedSafetensors(dir).tensors, o.seed);
  const judges = new EvalJudges(nodes, o.baseDir);
  try {
    // Answers are judged as by the run's own evals of this dataset, else by the pipeline's answer reward.
    const stages = o.ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order);
    const declared = o.ir.nodes.find((n): n is IREval => n.type === 'eval' && n.data.dataset === node.id);
    // (A graph from before evals named their judge has none: it gets the pipeline's answer reward.)
    const judge = declared?.judge !== undefined ? declared.judge : (answerReward(o.ir.nodes)?.id ?? null);
    const rewards = await judges.for(judge);
    const maxTokens = o.maxTokens ?? defaultBudget(o.ir, node.id, stages);
    const base: Omit<IREval, 'mode' | 'samples'> = { id: 'eval.cli', type: 'eval', name: 'cli', data: { dataset: node.id, split: o.split }, stages: [], temperature: o.temperature, top_p: o.topP, max_tokens: maxTokens, limit: o.limit ?? null, points: [], judge };
    const at = { step: 0, stage: null, reason: 'cli' };
    const m = { model, tokenizer, rewards, seed: o.seed };
    const greedy = await runEval({ ...base, mode: 'greedy', samples: 1 }, rows, m, at, o.onRow);
    const sampled = o.samples > 1 ? await runEval({ ...base, mode: 'sample', samples: o.samples }, rows, m, at, o.onRow) : undefined;
    return { backend: `${backend.name} (${backend.device})`, dataset: node.name, split: o.split, max_tokens: maxTokens, greedy, ...(sampled ? { sampled } : {}) };
  } finally {
    await judges.close();
    model.dispose();
  }
}

/** The budget the pipeline's own evals of this dataset used, else the largest training budget. */
function defaultBudget(ir: IR, datasetId: string, stages: IRTrain[]): number {
  const declared = ir.nodes.filter((n): n is IREval => n.type === 'eval' && n.data.dataset === datasetId).map((e) => e.max_tokens);
  if (declared.length > 0) return Math.max(...declared);
  const budgets = stages.flatMap((s) => s.budget.by_step);
  return budgets.length > 0 ? Math.max(...budgets) : 256;
}
