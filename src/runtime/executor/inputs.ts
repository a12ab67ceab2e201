// Step 1 of a run: everything it reads, loaded before a run directory exists (a missing model
// folder is the most likely mistake, so it is looked for first): the backend, the data, the
// tokenizer, the model, the rewards of each RL stage and the judge of each eval.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IR, IRDataset, IREval, IRModel, IRNode, IRReward, IRTrain } from '../../ir/graph.js';
import { selectBackend, type SelectedBackend } from '../backend.js';
import type { RuntimeCode } from '../codes.js';
import { loadDataset } from '../data/dataset.js';
import { fitDatasets } from '../data/fit.js';
import { EvalJudges } from '../eval.js';
import { configFromScratch, readHfConfig } from '../model/hf-config.js';
import { readShardedSafetensors } from '../model/safetensors.js';
import { parameterCount, Transformer } from '../model/transformer.js';
import { buildRewards } from '../rewards/index.js';
import { CharTokenizer } from '../tokenizer/chars.js';
import { loadTokenizerFile } from '../tokenizer/index.js';
import type { LoadedDataset, RewardSet, Tokenizer } from '../types.js';
import { RunError } from '../types.js';

export interface RunInputs {
  nodes: Map<string, IRNode>;
  backend: SelectedBackend;
  /** Train stages in the order they run. */
  stages: IRTrain[];
  evals: IREval[];
  datasets: Map<string, LoadedDataset>;
  tokenizer: Tokenizer;
  model: Transformer;
  /** The rewards of each GRPO stage, by stage id. */
  rewardSets: Map<string, RewardSet>;
  judges: EvalJudges;
  /** Warnings found while loading (rows skipped or cut), reported once the run has started. */
  notes: string[];
}

export async function loadInputs(ir: IR, baseDir: string): Promise<RunInputs> {
  const seed = ir.pipeline.seed;
  const nodes = new Map(ir.nodes.map((n) => [n.id, n]));
  const policyNode = ir.nodes.find((n): n is IRModel => n.type === 'model' && n.id === ir.nodes.find((t): t is IRTrain => t.type === 'train')?.policy);
  const backend = await selectBackend(ir.pipeline.backend, { params: policyNode ? parameterEstimate(policyNode, baseDir) : undefined });
  const stages = ir.nodes.filter((n): n is IRTrain => n.type === 'train').sort((a, b) => a.order - b.order);
  const evals = ir.nodes.filter((n): n is IREval => n.type === 'eval');

  const policyIds = [...new Set(stages.map((s) => s.policy))];
  if (policyIds.length > 1) throw new RunError('this runtime trains one policy model per pipeline', `the stages name ${policyIds.join(', ')}`);
  const modelNode = nodes.get(policyIds[0] ?? '') as IRModel | undefined;
  if (!modelNode) throw new RunError('the pipeline has no train stage, so there is nothing to run');
  if (modelNode.source.kind === 'hf') {
    const dir = path.resolve(baseDir, modelNode.source.path);
    if (!fs.existsSync(dir)) throw new RunError(`model folder not found: ${dir}`, `the model \`${modelNode.name}\` names \`hf("${modelNode.source.path}")\`, relative to the pipeline file`, 'R0101');
  }
  const datasetIds = new Set([...stages.map((s) => s.data.dataset), ...evals.map((e) => e.data.dataset)]);
  const datasets = new Map<string, LoadedDataset>();
  for (const id of [...datasetIds].sort()) datasets.set(id, await loadDataset(nodes.get(id) as IRDataset, { baseDir, seed }));
  const tokenizer = asInputError('R0109', () => makeTokenizer(modelNode, [...datasets.values()], baseDir));
  const model = asInputError('R0108', () => makeModel(modelNode, tokenizer, seed, baseDir));
  // Before anything trains: prompts the model has no room to answer stop here, naming file:line.
  const notes = fitDatasets(datasets, nodes, stages, { tokenizer, context: model.config.max_position_embeddings, model: modelNode.name });

  const rewardSets = new Map<string, RewardSet>();
  for (const s of stages) if (s.algorithm === 'grpo') rewardSets.set(s.id, await buildRewards(s.rewards.map((r) => nodes.get(r) as IRReward), { baseDir }));
  // Each eval's judge (its own reward, or the built-in `Answer:` checker), loaded before anything runs.
  const judges = new EvalJudges(nodes, baseDir);
  for (const e of evals) await judges.for(e.judge);
  return { nodes, backend, stages, evals, datasets, tokenizer, model, rewardSets, judges, notes };
}

/** Lets go of what the inputs hold (the model's tensors, reward workers). */
export async function releaseInputs(inputs: RunInputs): Promise<void> {
  inputs.model.dispose();
  await inputs.judges.close();
  for (const r of inputs.rewardSets.values()) await r.close?.();
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
