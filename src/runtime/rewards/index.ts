// A stage's rewards as one scorer: each reward's score, times its weight, summed per response.
// `truncated = zero` gives a cut-off response 0 from that reward (SIRI: no credit for an answer
// the budget cut off). A reward that throws, times out or returns something that is not a score
// scores 0 for that response and is reported in `errors`; with `on_error = fail` the whole batch
// fails instead, and so it does when more than `max_failure_rate` of a batch's calls failed.
// One reward, the judge (../../ir/judge.ts), decides `correct`.
import type { IRReward } from '../../ir/graph.js';
import { judgeOf } from '../../ir/judge.js';
import { RunError, type RewardError, type RewardInput, type RewardSet, type ScoredBatch } from '../types.js';
import { RewardCallError, type RewardFn, type Scored } from './custom.js';
import { rewardFn } from './kinds.js';

export { lastBoxed, extractMathAnswer, mathEqual, normalizeMath, evalMath } from './math.js';
export { overlong } from './kinds.js';

/** The share of a batch's calls to one reward that may fail before the run stops. */
export const DEFAULT_MAX_FAILURE_RATE = 0.5;

interface Built {
  node: IRReward;
  /** Key in `parts`: the name, or the id when two rewards share a name. */
  key: string;
  fn: RewardFn;
  maxFailureRate: number;
  /** The outcomes of its most recent calls, across steps (true: failed): what max_failure_rate is judged on. */
  recent: boolean[];
}

/**
 * max_failure_rate is judged on a reward's last FAILURE_WINDOW calls, across steps, and never on
 * fewer than FAILURE_MIN_CALLS: a batch of a few calls (a small group, most responses cut off)
 * must not stop a run on one unlucky failure, and a reward that has worked for a thousand steps
 * and then fails on every call still stops within a few dozen calls. A reward whose every call
 * has failed stops at its second call, however short the run.
 */
const FAILURE_WINDOW = 64;
const FAILURE_MIN_CALLS = 8;

export async function buildRewards(nodes: IRReward[], opts: { baseDir: string; judge?: IRReward }): Promise<RewardSet> {
  const names = nodes.map((n) => n.name);
  const built: Built[] = [];
  try {
    for (const node of nodes) {
      const key = names.indexOf(node.name) === names.lastIndexOf(node.name) ? node.name : node.id;
      const rate = node.params['max_failure_rate'] ?? DEFAULT_MAX_FAILURE_RATE;
      if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new RunError(`reward \`${node.name}\`: \`max_failure_rate\` must be a number from 0 to 1`);
      built.push({ node, key, fn: await rewardFn(node, opts.baseDir), maxFailureRate: rate, recent: [] });
    }
  } catch (e) {
    await Promise.all(built.map((b) => b.fn.close?.()));
    throw e;
  }
  const judgeNode = opts.judge ?? judgeOf(nodes);
  const judge = built.find((b) => b.node === judgeNode || b.node.id === judgeNode?.id);
  return {
    judge: judge?.node.name ?? null,
    score: (inputs) => scoreAll(built, judge, inputs),
    close: async () => void (await Promise.all(built.map((b) => b.fn.close?.()))),
  };
}

async function scoreAll(built: Built[], judge: Built | undefined, inputs: RewardInput[]): Promise<ScoredBatch> {
  const total = inputs.map(() => 0);
  const parts: Record<string, number[]> = {};
  const errors: RewardError[] = [];
  let correct = inputs.map(() => false);
  let found = inputs.map(() => false);
  for (const b of built) {
    const raw = await scoreReward(b, inputs, errors);
    parts[b.key] = raw.map((r, i) => {
      const v = (r?.score ?? 0) * b.node.weight;
      total[i]! += v;
      return v;
    });
    if (b === judge) {
      // Never correct when cut off; a plain number is correct at full marks (1), like the built-in checkers.
      correct = raw.map((r, i) => !!r && !inputs[i]!.truncated && (r.correct ?? r.score >= 1));
      found = raw.map((r) => !!r && (r.found ?? true));
    }
  }
  return { total, parts, correct, errors, found };
}

/** One reward on every response, in order: a Scored, or null where it was not called or failed. */
async function scoreReward(b: Built, inputs: RewardInput[], errors: RewardError[]): Promise<(Scored | null)[]> {
  const skip = (x: RewardInput): boolean => x.truncated && b.node.truncated === 'zero'; // not even called: the score is discarded
  const out: (Scored | null)[] = [];
  let first: RewardError | undefined;
  const record = (failed: boolean): void => {
    b.recent.push(failed);
    if (b.recent.length > FAILURE_WINDOW) b.recent.shift();
  };
  for (const [index, x] of inputs.entries()) {
    if (skip(x)) {
      out.push(null);
      continue;
    }
    try {
      out.push(await b.fn({ ...x }));
      record(false);
      continue;
    } catch (e) {
      const at = e instanceof RewardCallError ? e.at : undefined;
      const err: RewardError = { reward: b.node.name, index, message: e instanceof Error ? e.message : String(e), ...(at ? { at } : {}) };
      if (b.node.on_error === 'fail') throw new RunError(`reward \`${b.node.name}\` failed on response ${index}: ${err.message}${at ? ` (at ${at})` : ''}`, 'set `on_error = zero` on the reward to score such responses 0 and go on', 'R0302');
      errors.push(err);
      first ??= err;
      out.push(null);
      record(true);
    }
    const calls = b.recent.length;
    const failures = b.recent.filter(Boolean).length;
    // Or: every call so far has failed (a broken module, in a run too short to reach 8 calls).
    const allFailed = b.maxFailureRate < 1 && calls >= 2 && failures === calls;
    if (allFailed || failures > b.maxFailureRate * Math.max(calls, FAILURE_MIN_CALLS)) {
      const pct = (x: number): string => `${Math.round(x * 100)} %`;
      throw new RunError(
        `reward \`${b.node.name}\` failed on ${failures} of its last ${calls} calls (more than its max_failure_rate, ${pct(b.maxFailureRate)}); the first failure: ${first!.message}${first!.at ? ` (at ${first!.at})` : ''}`,
        `fix the reward${b.node.kind === 'custom' ? ` module ${String(b.node.params['module'])}` : ''}, or raise \`max_failure_rate\` on \`${b.node.name}\`; the run's last checkpoint is from before this step`,
        'R0301',
      );
    }
  }
  return out;
}
