// Evaluation hooks: greedy pass@1 or mean over n samples on an eval split, reporting accuracy and
// mean response tokens — the two axes of the paper's accuracy–efficiency plane. Correctness comes
// from the eval's judge (IREval.judge; docs/rewards.md#how-accuracy-is-judged).
import type { IREval, IRReward } from '../ir/graph.js';
import type { Transformer } from './model/transformer.js';
import { rewardInputs, rollout } from './rl/grpo.js';
import { assertDeviceHealthy } from './backend.js';
import { buildRewards } from './rewards/index.js';
import { Rng } from './rng.js';
import type { EvalMetrics, Example, RewardSet, Tokenizer } from './types.js';

/** Rows per sampling batch: bounds memory whatever the eval set's size. */
const CHUNK = 64;

/** One judged response of an eval, for `siric eval --rows` (which problems a model gets right). */
export interface EvalRow {
  /** The problem's place in the evaluated rows (0-based) and where it came from. */
  index: number;
  origin: string;
  /** 0 for greedy; 0..samples-1 for the samples of a problem. */
  sample: number;
  mode: 'greedy' | 'sample';
  prompt: string;
  answer: string | null;
  response: string;
  tokens: number;
  truncated: boolean;
  correct: boolean;
}

export async function runEval(node: IREval, examples: Example[], m: { model: Transformer; tokenizer: Tokenizer; rewards: RewardSet; seed: number }, at: { step: number; stage: string | null; reason: string }, onRow?: (r: EvalRow) => void): Promise<EvalMetrics> {
  const rows = node.limit ? examples.slice(0, node.limit) : examples;
  const greedy = node.mode === 'greedy';
  const n = greedy ? 1 : node.samples;
  // A fresh stream per eval point: evaluating never shifts the randomness of training.
  const rng = new Rng(m.seed, `eval/${node.id}/${at.step}`);
  let correct = 0;
  let found = 0;
  let tokens = 0;
  let truncated = 0;
  let count = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const rs = await rollout(m.model, m.tokenizer, chunk, n, node.max_tokens, { temperature: greedy ? 1 : node.temperature, top_p: greedy ? 1 : node.top_p, top_k: 0 }, rng, greedy);
    const scores = await m.rewards.score(rewardInputs(rs));
    rs.forEach((r, j) => {
      if (onRow) {
        const index = i + Math.floor(j / n);
        onRow({ index, origin: r.example.origin, sample: j % n, mode: greedy ? 'greedy' : 'sample', prompt: r.example.prompt, answer: r.example.answer ?? null, response: r.text, tokens: r.response.length, truncated: r.truncated, correct: !!scores.correct[j] });
      }
      correct += scores.correct[j] ? 1 : 0;
      found += (scores.found?.[j] ?? true) ? 1 : 0;
      tokens += r.response.length;
      truncated += r.truncated ? 1 : 0;
      count++;
    });
  }
  assertDeviceHealthy();
  const d = Math.max(1, count);
  return { type: 'eval', eval: node.name, stage: at.stage, step: at.step, reason: at.reason, accuracy: correct / d, response_len_mean: tokens / d, truncated_frac: truncated / d, n: rows.length, samples: n, judge: judgeName(m.rewards), answers_found: found };
}

/** The warning for an eval whose judge found no final answer in any response, else undefined. */
export function judgeWarning(m: EvalMetrics): string | undefined {
  if (m.answers_found !== 0 || m.n === 0) return undefined;
  const cut = m.truncated_frac > 0 ? ` (${Math.round(m.truncated_frac * 100)} % of them were cut off by max_tokens)` : '';
  return `eval \`${m.eval}\` at step ${m.step}: the judge \`${m.judge ?? '?'}\` found no final answer in any of its ${m.n * m.samples} responses${cut}: accuracy ${(m.accuracy * 100).toFixed(1)} % may only mean that the judge does not read this task's answer format; name the task's own reward with \`judge = <reward>\` on the eval (docs/rewards.md#how-accuracy-is-judged)`;
}

/** When the pipeline declares no reward that judges answers: the built-in tasks' `Answer:` format. */
export const DEFAULT_CHECKER: IRReward = { id: 'reward.default', type: 'reward', name: 'final_answer', kind: 'exact_answer', weight: 1, truncated: 'zero', on_error: 'zero', params: { pattern: 'Answer:\\s*(.+)' } };
const BUILT_IN = `${DEFAULT_CHECKER.name} (built-in)`;

const judgeName = (r: RewardSet): string => r.judge ?? 'none';

/** Scorers for evals, one per judge: the judge reward alone (its worker, if custom, is its own). */
export class EvalJudges {
  private readonly sets = new Map<string, Promise<RewardSet>>();

  constructor(
    private readonly nodes: Map<string, unknown>,
    private readonly baseDir: string,
  ) {}

  for(judge: string | null): Promise<RewardSet> {
    const key = judge ?? DEFAULT_CHECKER.id;
    let s = this.sets.get(key);
    if (!s) {
      const node = judge ? (this.nodes.get(judge) as IRReward | undefined) : undefined;
      if (judge && !node) throw new Error(`eval judge ${judge} is not in the graph`);
      s = node ? buildRewards([node], { baseDir: this.baseDir, judge: node }) : buildRewards([DEFAULT_CHECKER], { baseDir: this.baseDir }).then((r) => ({ ...r, judge: BUILT_IN }));
      this.sets.set(key, s);
    }
    return s;
  }

  async close(): Promise<void> {
    for (const s of this.sets.values()) await (await s).close?.();
  }
}
