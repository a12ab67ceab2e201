// A stage's rewards as one scorer: each reward's score, times its weight, summed per response.
// `truncated = zero` gives a cut-off response 0 from that reward (SIRI: no credit for an answer
// the budget cut off). A reward that throws or returns a non-number scores 0 for that response
// and is reported in `errors`; with `on_error = fail` the whole batch fails instead.
import type { IRReward } from '../../ir/graph.js';
import { RunError, type RewardError, type RewardInput, type RewardSet, type ScoredBatch } from '../types.js';
import type { RewardFn } from './custom.js';
import { ANSWER_KINDS, rewardFn } from './kinds.js';

export { lastBoxed, extractMathAnswer, mathEqual, normalizeMath, evalMath } from './math.js';
export { overlong } from './kinds.js';

interface Built {
  node: IRReward;
  /** Key in `parts`: the name, or the id when two rewards share a name. */
  key: string;
  fn: RewardFn;
}

export async function buildRewards(nodes: IRReward[], opts: { baseDir: string }): Promise<RewardSet> {
  const names = nodes.map((n) => n.name);
  const built: Built[] = [];
  for (const node of nodes) {
    const key = names.indexOf(node.name) === names.lastIndexOf(node.name) ? node.name : node.id;
    built.push({ node, key, fn: await rewardFn(node, opts.baseDir) });
  }
  const checker = built.find((b) => ANSWER_KINDS.has(b.node.kind));
  return { score: (inputs) => scoreAll(built, checker, inputs) };
}

async function scoreAll(built: Built[], checker: Built | undefined, inputs: RewardInput[]): Promise<ScoredBatch> {
  const total = inputs.map(() => 0);
  const parts: Record<string, number[]> = {};
  const errors: RewardError[] = [];
  let correct = inputs.map(() => false);
  for (const b of built) {
    const raw = await Promise.all(inputs.map((x, i) => scoreOne(b, x, i, errors)));
    parts[b.key] = raw.map((r, i) => {
      const v = r * b.node.weight;
      total[i]! += v;
      return v;
    });
    if (b === checker) correct = raw.map((r, i) => r === 1 && !inputs[i]!.truncated);
  }
  return { total, parts, correct, errors };
}

/** The unweighted score of one response; 0 for a zeroed truncation or a failure. */
async function scoreOne(b: Built, x: RewardInput, index: number, errors: RewardError[]): Promise<number> {
  if (x.truncated && b.node.truncated === 'zero') return 0; // not even called: the score is discarded
  let message: string;
  try {
    const v: unknown = await b.fn({ ...x });
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    message = `returned ${typeof v === 'number' ? String(v) : JSON.stringify(v) ?? typeof v}, not a finite number`;
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  if (b.node.on_error === 'fail') throw new RunError(`reward \`${b.node.name}\` failed on response ${index}: ${message}`, 'set `on_error = zero` on the reward to score such responses 0 and go on');
  errors.push({ reward: b.node.name, index, message });
  return 0;
}
