// The pipeline's datasets as verl rows (JSON Lines, the row schema verl's RLHFDataset reads),
// loaded with the runtime's own readers and generators so that templates, holdout and limits
// mean exactly what they mean for `siric run`.
import type { IR, IRDataset } from '../../ir/graph.js';
import { loadDataset } from '../../runtime/data/dataset.js';
import type { Example, LoadedDataset } from '../../runtime/types.js';
import { evalFile, type DataFacts, type JobPlan } from './map.js';

export const TRAIN_LOOP = 'siri_budget';
export const EVAL_LOOP = 'siri_eval';

/**
 * Room for the chat template around a prompt, in tokens. A byte-level BPE token covers at least
 * one byte, so a prompt of B UTF-8 bytes is at most B tokens; templates add a few dozen.
 */
const TEMPLATE_ALLOWANCE = 128;

export interface VerlRow {
  data_source: string;
  prompt: { role: 'user'; content: string }[];
  ability: string;
  reward_model: { style: 'rule'; ground_truth: string };
  extra_info: { split: 'train' | 'eval'; index: number; dataset: string; answer: string | null; origin: string };
  agent_name: string;
}

export function toRow(ds: string, ex: Example, split: 'train' | 'eval', index: number): VerlRow {
  return {
    data_source: `siric/${ds}`,
    prompt: [{ role: 'user', content: ex.prompt }],
    ability: 'reasoning',
    reward_model: { style: 'rule', ground_truth: ex.answer ?? '' },
    extra_info: { split, index, dataset: ds, answer: ex.answer ?? null, origin: ex.origin },
    agent_name: split === 'train' ? TRAIN_LOOP : EVAL_LOOP,
  };
}

const pick = (d: LoadedDataset, split: 'train' | 'eval' | 'all'): Example[] => (split === 'train' ? d.train : split === 'eval' ? d.eval : [...d.train, ...d.eval]);

/** Every data file of the job (path → JSON Lines text) and what the overrides need from the data. */
export async function convertData(ir: IR, plan: JobPlan, baseDir: string): Promise<{ files: Map<string, string>; facts: DataFacts }> {
  const loaded = new Map<string, LoadedDataset>();
  const load = async (id: string): Promise<LoadedDataset> => {
    let d = loaded.get(id);
    if (!d) {
      const node = ir.nodes.find((n): n is IRDataset => n.type === 'dataset' && n.id === id)!;
      d = await loadDataset(node, { baseDir, seed: ir.pipeline.seed });
      loaded.set(id, d);
    }
    return d;
  };
  const files = new Map<string, string>();
  let maxBytes = 0;
  const write = (file: string, ds: string, xs: Example[], split: 'train' | 'eval'): void => {
    for (const x of xs) maxBytes = Math.max(maxBytes, Buffer.byteLength(x.prompt, 'utf8'));
    files.set(file, xs.map((x, i) => JSON.stringify(toRow(ds, x, split, i)) + '\n').join(''));
  };
  const s = plan.stage;
  const train = pick(await load(s.data.dataset), s.data.split);
  write(plan.trainFile, (await load(s.data.dataset)).name, train, 'train');
  for (const e of plan.evals) {
    const file = evalFile(e, plan.trainFile);
    if (files.has(file)) continue; // refuse.ts made evals of the same rows agree on their limit
    const d = await load(e.data.dataset);
    const rows = pick(d, e.data.split);
    write(file, d.name, e.limit === null ? rows : rows.slice(0, e.limit), 'eval');
  }
  const maxPromptTokens = Math.ceil((maxBytes + TEMPLATE_ALLOWANCE) / 256) * 256;
  return { files, facts: { maxPromptTokens, trainRows: train.length } };
}
