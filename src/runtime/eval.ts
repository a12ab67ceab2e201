// Evaluation hooks: greedy pass@1 or mean over n samples on an eval split, reporting accuracy and
// mean response tokens — the two axes of the paper's accuracy–efficiency plane.
import type { IREval, IRReward } from '../ir/graph.js';
import type { Transformer } from './model/transformer.js';
import { rewardInputs, rollout } from './rl/grpo.js';
import { assertDeviceHealthy } from './backend.js';
import { Rng } from './rng.js';
import type { EvalMetrics, Example, RewardSet, Tokenizer } from './types.js';

/** Rows per sampling batch: bounds memory whatever the eval set's size. */
const CHUNK = 64;

export async function runEval(node: IREval, examples: Example[], m: { model: Transformer; tokenizer: Tokenizer; rewards: RewardSet; seed: number }, at: { step: number; stage: string | null; reason: string }): Promise<EvalMetrics> {
  const rows = node.limit ? examples.slice(0, node.limit) : examples;
  const greedy = node.mode === 'greedy';
  const n = greedy ? 1 : node.samples;
  // A fresh stream per eval point: evaluating never shifts the randomness of training.
  const rng = new Rng(m.seed, `eval/${node.id}/${at.step}`);
  let correct = 0;
  let tokens = 0;
  let truncated = 0;
  let count = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const rs = await rollout(m.model, m.tokenizer, chunk, n, node.max_tokens, { temperature: greedy ? 1 : node.temperature, top_p: greedy ? 1 : node.top_p, top_k: 0 }, rng, greedy);
    const scores = await m.rewards.score(rewardInputs(rs));
    rs.forEach((r, j) => {
      correct += scores.correct[j] ? 1 : 0;
      tokens += r.response.length;
      truncated += r.truncated ? 1 : 0;
      count++;
    });
  }
  assertDeviceHealthy();
  const d = Math.max(1, count);
  return { type: 'eval', eval: node.name, stage: at.stage, step: at.step, reason: at.reason, accuracy: correct / d, response_len_mean: tokens / d, truncated_frac: truncated / d, n: rows.length, samples: n };
}

/** When no RL stage says how to check answers, evals use the built-in tasks' format. */
export const DEFAULT_CHECKER: IRReward = { id: 'reward.default', type: 'reward', name: 'final_answer', kind: 'exact_answer', weight: 1, truncated: 'zero', on_error: 'zero', params: { pattern: 'Answer:\\s*(.+)' } };
