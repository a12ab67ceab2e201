// Before training: every row's prompt must leave the model room to answer, or the first step that
// draws it fails deep inside a kernel (a position past the context). `on_long_prompt` on the
// dataset decides: stop naming the row's file and line, drop the row, or keep the start that fits.
import type { IRDataset, IRTrain } from '../../ir/graph.js';
import { encodePrompt } from '../tokenizer/chat.js';
import { RunError, type Example, type LoadedDataset, type Tokenizer } from '../types.js';

const CHARS_PER_TOKEN = 64;

export interface FitOptions {
  tokenizer: Tokenizer;
  /** The model's context (prompt and response together), and its name for messages. */
  context: number;
  model: string;
  /** The largest `max_tokens` of the sft stages that train on the dataset (their targets share the context); 0 when none. */
  sftMax: number;
}

/** Fits both splits in place; returns how many rows were dropped and truncated. */
export function fitToContext(ds: LoadedDataset, node: Pick<IRDataset, 'name' | 'on_long_prompt'>, o: FitOptions): { skipped: number; truncated: number } {
  let skipped = 0;
  let truncated = 0;
  const mode = node.on_long_prompt ?? 'error'; // graphs from before the setting stop, as they crashed
  const fit = (rows: Example[]): Example[] =>
    rows.flatMap((ex) => {
      const limit = promptLimit(ex, o);
      // No tokenizer packs more than this many characters into one token: a larger row (a 50 MB
      // field) is too long without spending the time to encode it.
      const absurd = ex.prompt.length > CHARS_PER_TOKEN * o.context;
      const n = absurd ? Infinity : encodePrompt(o.tokenizer, ex.prompt).length;
      if (n <= limit) return [ex];
      if (mode === 'skip') {
        skipped++;
        return [];
      }
      if (mode === 'truncate' && limit > 0) {
        truncated++;
        return [{ ...ex, prompt: longestFit(ex.prompt.slice(0, CHARS_PER_TOKEN * limit), limit, o.tokenizer) }];
      }
      throw new RunError(
        `${ex.origin}: the prompt is ${absurd ? `${ex.prompt.length} characters` : `${n} tokens`}, which leaves no room ${limit < o.context - 1 ? 'for its reference response ' : ''}in the ${o.context}-token context of the model \`${o.model}\` (at most ${Math.max(0, limit)} prompt tokens fit)`,
        `shorten the row, or set \`on_long_prompt = skip\` (drop such rows) or \`on_long_prompt = truncate\` (keep the start that fits) in the dataset \`${node.name}\``,
        'R0107',
      );
    });
  ds.train = fit(ds.train);
  ds.eval = fit(ds.eval);
  return { skipped, truncated };
}

/** How many prompt tokens fit: one response token at least, and for sft the target as the stage cuts it. */
function promptLimit(ex: Example, o: FitOptions): number {
  if (o.sftMax === 0 || ex.response === undefined) return o.context - 1;
  // The stage cuts the target to sftMax tokens (with its end token); so is a huge one here, before encoding.
  const target = Math.min(o.tokenizer.encode(ex.response.slice(0, CHARS_PER_TOKEN * o.sftMax)).length + 1, o.sftMax);
  // The update reads prompt + target - 1 positions.
  return Math.min(o.context - 1, o.context + 1 - target);
}

/** The longest start of `text` whose prompt encoding has at most `limit` tokens. */
function longestFit(text: string, limit: number, tok: Tokenizer): string {
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encodePrompt(tok, text.slice(0, mid)).length <= limit) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo);
}

/** Fits every dataset to the policy model's context; returns the warnings to show (rows dropped or cut). */
export function fitDatasets(datasets: Map<string, LoadedDataset>, nodes: ReadonlyMap<string, unknown>, stages: readonly IRTrain[], o: Omit<FitOptions, 'sftMax'>): string[] {
  const notes: string[] = [];
  for (const [id, ds] of datasets) {
    const node = nodes.get(id) as IRDataset;
    const sftMax = Math.max(0, ...stages.filter((s) => s.algorithm === 'sft' && s.data.dataset === id).map((s) => s.budget.max));
    const r = fitToContext(ds, node, { ...o, sftMax });
    if (r.skipped) notes.push(`dataset \`${node.name}\`: ${r.skipped} rows skipped, their prompts leave no room to answer in the ${o.context}-token context (on_long_prompt = skip)`);
    if (r.truncated) notes.push(`dataset \`${node.name}\`: ${r.truncated} prompts cut to fit the ${o.context}-token context (on_long_prompt = truncate)`);
  }
  return notes;
}
