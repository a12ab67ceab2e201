// The built-in generated tasks the compiler knows about: their parameters and the fields each row
// has. The runtime implements the generators; this table is the contract between them.
import type { KeyTable } from './types.js';

export interface TaskInfo {
  doc: string;
  /** Fields of every generated row, usable in `{field}` templates. */
  fields: readonly string[];
  params: KeyTable;
}

const size = (def: number, doc: string) => ({ spec: { k: 'int', min: 1, unit: 'rows' } as const, default: def, doc });

export const TASKS: Record<string, TaskInfo> = {
  arithmetic: {
    doc: 'multi-step integer arithmetic; solutions are worked step by step, a share of them padded with redundant re-checks',
    fields: ['question', 'solution', 'answer'],
    params: {
      operands: { spec: { k: 'range', of: { k: 'int', min: 2, max: 8 } }, default: { from: 2, to: 4 }, doc: 'how many numbers each problem combines' },
      digits: { spec: { k: 'range', of: { k: 'int', min: 1, max: 6 } }, default: { from: 1, to: 2 }, doc: 'digits per number' },
      ops: { spec: { k: 'list', of: { k: 'enum', values: ['add', 'sub', 'mul'] }, min: 1 }, default: ['add', 'sub', 'mul'], doc: 'operations to draw from' },
      redundancy: { spec: { k: 'float', min: 0, max: 1 }, default: 0, doc: 'share of reference solutions padded with redundant re-checks and restated steps (over-thinking to compress)' },
      train_size: size(20000, 'rows in the training split'),
      eval_size: size(200, 'rows in the held-out eval split'),
    },
  },
  sorting: {
    doc: 'sort a short list of numbers; solutions pick the smallest remaining number one step at a time',
    fields: ['question', 'solution', 'answer'],
    params: {
      length: { spec: { k: 'range', of: { k: 'int', min: 2, max: 12 } }, default: { from: 3, to: 6 }, doc: 'list length' },
      max_value: { spec: { k: 'int', min: 1, max: 9999 }, default: 99, doc: 'largest number in a list' },
      redundancy: { spec: { k: 'float', min: 0, max: 1 }, default: 0, doc: 'share of solutions padded with redundant re-checks' },
      train_size: size(20000, 'rows in the training split'),
      eval_size: size(200, 'rows in the held-out eval split'),
    },
  },
  chain: {
    doc: 'a Fibonacci chain modulo 10 with a countdown (harder problems need more steps); a share of solutions padded with re-checks, a share with a teacher\'s slip on 7+8',
    fields: ['question', 'solution', 'answer'],
    params: {
      easy: { spec: { k: 'range', of: { k: 'int', min: 1, max: 8 } }, default: { from: 2, to: 3 }, doc: 'steps of an easy problem' },
      hard: { spec: { k: 'range', of: { k: 'int', min: 1, max: 8 } }, default: { from: 6, to: 8 }, doc: 'steps of a hard problem' },
      hard_share: { spec: { k: 'float', min: 0, max: 1 }, default: 0.5, doc: 'share of hard problems (the difficulty mix)' },
      redundancy: { spec: { k: 'float', min: 0, max: 1 }, default: 0, doc: 'share of reference solutions padded with redundant re-checks (over-thinking to compress)' },
      teacher_error: { spec: { k: 'float', min: 0, max: 1 }, default: 0, doc: 'share of training solutions with a systematic slip (a step whose values sum to 15 written as 6, the chain carried on from it); the `answer` field stays correct' },
      train_size: size(20000, 'rows in the training split'),
      eval_size: size(200, 'rows in the held-out eval split'),
    },
  },
};
