// Loading a dataset node of the graph into train/eval examples with their templates filled in.
// Generated tasks bring their own eval split; files hold out `holdout` rows chosen from the seed.
import path from 'node:path';
import type { IRDataset } from '../../ir/graph.js';
import { TASKS } from '../../semantics/tasks.js';
import { Rng } from '../rng.js';
import { RunError, type Example, type LoadedDataset } from '../types.js';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';
import { generateTask, type TaskRow } from './tasks/index.js';
import { fillTemplate } from './template.js';

export { ExampleStream, type StreamState } from './stream.js';

interface Row {
  values: Record<string, string>;
  origin: string;
}

export async function loadDataset(node: IRDataset, opts: { baseDir: string; seed: number }): Promise<LoadedDataset> {
  const { train, eval: held, skipped } = node.source.kind === 'generated' ? generated(node, node.source, opts.seed) : await fromFile(node, opts);
  const toExamples = (rows: Row[]): Example[] => rows.map((r) => toExample(node, r));
  const ds = { name: node.name, train: toExamples(train), eval: toExamples(held), skipped };
  return { ...ds, alphabet: alphabetOf([...ds.train, ...ds.eval]) };
}

function generated(node: IRDataset, src: { task: string; params: Record<string, unknown> }, seed: number): { train: Row[]; eval: Row[]; skipped: number } {
  // The compiler checks template fields against the task; checked again for hand-written graphs.
  const known = TASKS[src.task]?.fields ?? [];
  for (const [name, why] of requiredFields(node)) {
    if (!known.includes(name)) throw new RunError(`dataset \`${node.name}\`: generated("${src.task}") rows have no field "${name}" (${why})`, `its fields are: ${known.join(', ')}`, 'R0106');
  }
  const splits = generateTask(src.task, src.params, seed);
  const rows = (xs: TaskRow[], tag: string): Row[] => cap(xs, node.limit).map((r, i) => ({ values: { ...r }, origin: `${src.task}${tag}#${i}` }));
  // `limit` caps each split: their sizes are already set by train_size / eval_size.
  return { train: rows(splits.train, ''), eval: rows(splits.eval, '/eval'), skipped: 0 };
}

async function fromFile(node: IRDataset, opts: { baseDir: string; seed: number }): Promise<{ train: Row[]; eval: Row[]; skipped: number }> {
  const src = node.source as { kind: 'jsonl' | 'parquet'; path: string };
  const file = path.resolve(opts.baseDir, src.path);
  const read = src.kind === 'parquet' ? readParquet : readJsonl;
  const { rows: lines, skipped } = await read(file, { shown: src.path, required: requiredFields(node), onBadRow: node.on_bad_row, limit: node.limit });
  // A JSONL row is named by its line (`x.jsonl:12`), a Parquet row by its number (`x.parquet#12`).
  const rows = lines.map((l) => ({ values: l.values, origin: `${src.path}${src.kind === 'parquet' ? '#' : ':'}${l.line}` }));
  if (rows.length === 0) throw new RunError(`${src.path}: no usable rows${skipped ? ` (${skipped} malformed rows skipped)` : ''}`, 'check the file and the dataset\'s `limit`', 'R0105');
  if (node.holdout === 0) return { train: rows, eval: [], skipped };
  if (node.holdout >= rows.length) {
    throw new RunError(`dataset \`${node.name}\`: holdout = ${node.holdout} rows leaves nothing to train on (${src.path} has ${rows.length} usable rows)`, `use a holdout below ${rows.length}`, 'R0105');
  }
  // Held-out rows drawn from the seed, then both splits kept in file order.
  const idx = new Rng(opts.seed, `holdout/${node.id}`).shuffle(rows.map((_, i) => i));
  const held = new Set(idx.slice(0, node.holdout));
  return { train: rows.filter((_, i) => !held.has(i)), eval: rows.filter((_, i) => held.has(i)), skipped };
}

/** Each field a row must have, with the reason, for messages. */
function requiredFields(node: IRDataset): Map<string, string> {
  const need = new Map<string, string>();
  for (const [which, t] of [['prompt', node.prompt], ['answer', node.answer], ['response', node.response]] as const) {
    for (const f of t?.fields ?? []) if (!need.has(f)) need.set(f, `the ${which} template uses {${f}}`);
  }
  for (const f of node.fields ?? []) if (!need.has(f)) need.set(f, 'listed in `fields`');
  return need;
}

function toExample(node: IRDataset, r: Row): Example {
  const ex: Example = { prompt: fillTemplate(node.prompt, r.values), origin: r.origin };
  if (node.answer) ex.answer = fillTemplate(node.answer, r.values);
  if (node.response) ex.response = fillTemplate(node.response, r.values);
  return ex;
}

const cap = <T>(xs: T[], limit: number | null): T[] => (limit === null ? xs : xs.slice(0, limit));

/** Every character of prompts, answers and responses, sorted by code point (the char vocabulary). */
export function alphabetOf(examples: readonly Example[]): string {
  const chars = new Set<string>();
  for (const e of examples) for (const s of [e.prompt, e.answer ?? '', e.response ?? '']) for (const c of s) chars.add(c);
  return [...chars].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!).join('');
}
