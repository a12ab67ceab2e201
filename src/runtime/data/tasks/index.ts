// The built-in generated tasks by name (the names in src/semantics/tasks.ts).
import { RunError } from '../../types.js';
import { arithmeticAnswer, generateArithmetic } from './arithmetic.js';
import { chainAnswer, generateChain } from './chain.js';
import type { Splits } from './common.js';
import { generateSorting, sortingAnswer } from './sorting.js';

export type { Splits, TaskRow } from './common.js';
export { arithmeticAnswer, chainAnswer, sortingAnswer };

const GENERATORS: Record<string, (params: Record<string, unknown>, seed: number) => Splits> = {
  arithmetic: generateArithmetic,
  sorting: generateSorting,
  chain: generateChain,
};

/** Both splits of a task; the same (task, params, seed) always gives the same rows. */
export function generateTask(task: string, params: Record<string, unknown>, seed: number): Splits {
  const gen = GENERATORS[task];
  if (!gen) throw new RunError(`unknown generated task "${task}"`, `the runtime knows: ${Object.keys(GENERATORS).join(', ')}`, 'R0106');
  return gen(params, seed);
}

/** The exact answer of a generated question, by task. */
export function taskAnswer(task: string, question: string): string {
  if (task === 'arithmetic') return arithmeticAnswer(question);
  if (task === 'sorting') return sortingAnswer(question);
  if (task === 'chain') return chainAnswer(question);
  throw new Error(`unknown task "${task}"`);
}
