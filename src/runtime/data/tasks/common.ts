// What the built-in task generators share: reading their parameters from the graph (with the
// defaults of src/semantics/tasks.ts, the contract with the compiler) and drawing two disjoint
// splits from the pipeline's seed.
import { TASKS } from '../../../semantics/tasks.js';
import { Rng } from '../../rng.js';
import { RunError } from '../../types.js';

/** One generated row; every field is usable in `{field}` templates. */
export interface TaskRow {
  question: string;
  solution: string;
  answer: string;
}

export interface Range {
  from: number;
  to: number;
}

/** Reads task parameters, falling back to the compiler's defaults for the ones left out. */
export class TaskParams {
  constructor(
    private readonly task: string,
    private readonly params: Record<string, unknown>,
  ) {}

  private get(key: string): unknown {
    return this.params[key] ?? TASKS[this.task]?.params[key]?.default;
  }

  int(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.bad(key, 'an integer', v);
    return v;
  }

  float(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.bad(key, 'a number', v);
    return v;
  }

  /** `{from, to}` as the compiler writes `a..b`; a plain integer means `n..n`. */
  range(key: string): Range {
    const v = this.get(key);
    if (typeof v === 'number' && Number.isInteger(v)) return { from: v, to: v };
    const r = v as Partial<Range> | null;
    if (r && Number.isInteger(r.from) && Number.isInteger(r.to) && r.from! <= r.to!) return { from: r.from!, to: r.to! };
    throw this.bad(key, 'a range `a..b`', v);
  }

  list(key: string): string[] {
    const v = this.get(key);
    if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
    throw this.bad(key, 'a non-empty list of names', v);
  }

  private bad(key: string, want: string, got: unknown): RunError {
    return new RunError(`generated("${this.task}"): \`${key}\` must be ${want}, but it is ${JSON.stringify(got) ?? 'missing'}`, undefined, 'R0106');
  }
}

export interface Splits {
  train: TaskRow[];
  eval: TaskRow[];
}

/**
 * Draws the eval split first (unique questions), then training rows whose questions are not in
 * it. Each split has its own stream from (seed, task, split), and `draw` gets a second stream for
 * the solution's style, so changing `redundancy` keeps the questions the same. `rejected` counts
 * the draws refused since the last row kept, so a generator can redraw within the same kind of
 * problem and keep its mix (small kinds would otherwise be under-represented); `split` says which
 * split the row is for.
 */
export type Draw = (q: Rng, style: Rng, rejected: number, split: 'train' | 'eval') => TaskRow;

export function drawSplits(task: string, seed: number, sizes: { train: number; eval: number }, draw: Draw): Splits {
  const evalRows = drawRows(task, seed, 'eval', sizes.eval, draw, (row, seen) => !seen.has(row.question));
  const held = new Set(evalRows.map((r) => r.question));
  const train = drawRows(task, seed, 'train', sizes.train, draw, (row) => !held.has(row.question));
  return { train, eval: evalRows };
}

function drawRows(task: string, seed: number, split: 'train' | 'eval', n: number, draw: Draw, ok: (row: TaskRow, seen: Set<string>) => boolean): TaskRow[] {
  const q = new Rng(seed, `${task}/${split}`);
  const style = new Rng(seed, `${task}/${split}/style`);
  const rows: TaskRow[] = [];
  const seen = new Set<string>();
  // Rejection sampling; a problem space too small for the sizes asked for would loop forever.
  const maxTries = 50 * n + 1000;
  let rejected = 0;
  for (let tries = 0; rows.length < n; tries++) {
    if (tries >= maxTries) {
      throw new RunError(
        `generated("${task}"): could only draw ${rows.length} of ${n} ${split} rows whose questions are ${split === 'eval' ? 'distinct' : 'not in the eval split'}`,
        'the settings allow too few different problems: widen the ranges, or lower train_size / eval_size',
        'R0106',
      );
    }
    const row = draw(q, style, rejected, split);
    if (!ok(row, seen)) {
      rejected++;
      continue;
    }
    rejected = 0;
    seen.add(row.question);
    rows.push(row);
  }
  return rows;
}
