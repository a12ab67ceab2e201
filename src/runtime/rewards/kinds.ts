// One scoring function per built-in reward kind, on a single response, before weight and the
// truncation treatment. Settings are read and checked once, when the reward set is built.
import type { IRReward } from '../../ir/graph.js';
import { RunError, type RewardInput } from '../types.js';
import { loadCustomReward, type RewardFn, type Scored } from './custom.js';
import { extractMathAnswer, mathEqual } from './math.js';


export async function rewardFn(node: IRReward, baseDir: string): Promise<RewardFn> {
  const p = new Settings(node);
  switch (node.kind) {
    case 'exact_answer': {
      const re = p.regex('pattern', true);
      return (x) => {
        const got = lastCapture(re, x.response);
        return answer(got !== null, got !== null && got.trim() === reference(x));
      };
    }
    case 'numeric_equal': {
      const re = p.regex('pattern', true);
      const tol = p.num('tolerance', 1e-6);
      return (x) => {
        const want = parseNumber(reference(x));
        const text = lastCapture(re, x.response);
        const got = parseNumber(text ?? '');
        return answer(text !== null, got !== null && want !== null && Math.abs(got - want) <= tol);
      };
    }
    case 'math_equal': {
      const tol = p.num('tolerance', 0);
      return (x) => {
        const got = extractMathAnswer(x.response);
        return answer(got !== null, got !== null && mathEqual(got, reference(x), tol));
      };
    }
    case 'regex': {
      const re = p.regex('pattern', false);
      return (x) => ({ score: re.test(x.response) ? 1 : 0 });
    }
    case 'length_penalty': {
      const target = node.params['target'] === 'budget' || node.params['target'] === undefined ? null : p.num('target');
      const coef = p.num('coef', 0.001);
      return (x) => ({ score: -coef * Math.max(0, x.length - (target ?? x.budget)) });
    }
    case 'overlong': {
      const buffer = p.num('buffer');
      const penalty = p.num('penalty', 1);
      return (x) => ({ score: overlong(x.length, x.budget, buffer, penalty) });
    }
    case 'custom':
      return loadCustomReward(node, baseDir);
  }
}

/** DAPO's soft overlong punishment: 0 up to L − B, then linear down to −penalty at L, −penalty beyond. */
export function overlong(length: number, budget: number, buffer: number, penalty: number): number {
  const free = budget - buffer;
  if (length <= free) return 0;
  if (length <= budget) return (-(length - free) / buffer) * penalty;
  return -penalty;
}

/** An answer check's result: 1 when right; `found` says whether the response had an answer at all. */
const answer = (found: boolean, right: boolean): Scored => ({ score: right ? 1 : 0, correct: right, found });

function reference(x: RewardInput): string {
  if (x.answer === undefined) throw new Error('no reference answer: give the dataset an `answer` template');
  return x.answer.trim();
}

/** The first capture group (or the whole match) of the last match: the final answer counts. */
function lastCapture(re: RegExp, s: string): string | null {
  const m = [...s.matchAll(re)].at(-1);
  return m ? (m[1] ?? m[0]) : null;
}

/** `-1,234.5`, `3.`, `$12`, `1e-3` → a number; anything else → null. */
export function parseNumber(s: string): number | null {
  const t = s.trim().replace(/^\$|\.$/g, '').replace(/(\d),(?=\d{3}\b)/g, '$1');
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : null;
}

/** Reads a reward's params, failing at build time with the reward's name. */
class Settings {
  constructor(private readonly node: IRReward) {}

  num(key: string, def?: number): number {
    const v = this.node.params[key] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RunError(`reward \`${this.node.name}\`: \`${key}\` must be a number, but it is ${JSON.stringify(v) ?? 'missing'}`);
    return v;
  }

  /** `global` for matchAll (no state kept between calls: matchAll copies the regex). */
  regex(key: string, global: boolean): RegExp {
    const v = this.node.params[key] ?? (key === 'pattern' && this.node.kind !== 'regex' ? 'Answer:\\s*(.+)' : undefined);
    if (typeof v !== 'string') throw new RunError(`reward \`${this.node.name}\`: \`${key}\` must be a regular expression string`);
    try {
      return new RegExp(v, global ? 'g' : '');
    } catch (e) {
      throw new RunError(`reward \`${this.node.name}\`: \`${key}\` is not a valid regular expression: ${(e as Error).message}`);
    }
  }
}
