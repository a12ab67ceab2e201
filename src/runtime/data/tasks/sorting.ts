// Sort a short list, e.g. question `sort 34 7 91 12`, solution
// `7 [34 91 12] 12 [34 91] 34 [91] 91 [] Answer: 7 12 34 91`: each step takes the smallest
// remaining number and writes what is left, so the model only ever has to find a minimum. A
// `redundancy` share of solutions re-checks picks (`check 7<=12 ok`) and restates steps.
import type { Rng } from '../../rng.js';
import { drawSplits, TaskParams, type Range, type Splits, type TaskRow } from './common.js';

export interface SortingSettings {
  length: Range;
  maxValue: number;
  redundancy: number;
}

export function generateSorting(params: Record<string, unknown>, seed: number): Splits {
  const p = new TaskParams('sorting', params);
  const s: SortingSettings = { length: p.range('length'), maxValue: p.int('max_value'), redundancy: p.float('redundancy') };
  return drawSplits('sorting', seed, { train: p.int('train_size'), eval: p.int('eval_size') }, (q, style) => sortingRow(s, q, style));
}

export function sortingRow(s: SortingSettings, q: Rng, style: Rng): TaskRow {
  const xs = Array.from({ length: q.between(s.length.from, s.length.to) }, () => q.between(0, s.maxValue));
  const question = `sort ${xs.join(' ')}`;
  const answer = [...xs].sort((a, b) => a - b).join(' ');
  const extra = style.float() < s.redundancy;
  // Per step: 0 = nothing, 1 = check the pick against the next one (the last step has none and
  // says itself again instead), 2 = say the step again. A padded solution pads at least once.
  const kinds = xs.map(() => (extra ? extraKind(style.float()) : 0));
  if (extra && !kinds.some((k) => k !== 0)) kinds[style.int(kinds.length)] = 2;
  const out: string[] = [];
  let rest = xs;
  kinds.forEach((kind) => {
    const min = Math.min(...rest);
    const i = rest.indexOf(min);
    rest = [...rest.slice(0, i), ...rest.slice(i + 1)];
    const step = `${min} [${rest.join(' ')}]`;
    out.push(step);
    if (kind === 1 && rest.length > 0) out.push(`check ${min}<=${Math.min(...rest)} ok`);
    else if (kind !== 0) out.push(`again ${step}`);
  });
  if (extra && style.float() < 0.5) out.push(`so ${answer}`);
  return { question, solution: `${out.join(' ')} Answer: ${answer}`, answer };
}

const extraKind = (r: number): number => (r < 0.3 ? 0 : r < 0.7 ? 1 : 2);

/** The exact answer of a question such as `sort 34 7 91 12`, for tests and sanity checks. */
export function sortingAnswer(question: string): string {
  const m = /^sort((?: \d+)+)$/.exec(question);
  if (!m) throw new Error(`not a sorting question: ${JSON.stringify(question)}`);
  return m[1]!.trim().split(' ').map(Number).sort((a, b) => a - b).join(' ');
}
