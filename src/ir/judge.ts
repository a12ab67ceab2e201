// Which reward judges correctness ("accuracy" in metrics and evals), from the graph alone, so that
// `siric compile` shows it and `run` and `eval` agree (docs/rewards.md#how-accuracy-is-judged).
import type { IRNode, IRReward, IRTrain } from './graph.js';

/** Built-in kinds that check the final answer against the reference. */
export const ANSWER_KINDS: ReadonlySet<string> = new Set(['exact_answer', 'numeric_equal', 'math_equal']);

/** Of a list of rewards: the first answer-checking kind, else the first custom reward, else none. */
export function judgeOf(rewards: IRReward[]): IRReward | undefined {
  return rewards.find((r) => ANSWER_KINDS.has(r.kind)) ?? rewards.find((r) => r.kind === 'custom');
}

/**
 * The pipeline's answer reward: the judge of the first RL stage's rewards; without an RL stage,
 * of every reward in the graph except those only there as some eval's explicit `judge`;
 * undefined when none qualifies (evals then use the built-in tasks' `Answer:` checker).
 */
export function answerReward(nodes: IRNode[], explicitJudges: ReadonlySet<string> = new Set()): IRReward | undefined {
  const rewards = new Map(nodes.filter((n): n is IRReward => n.type === 'reward').map((r) => [r.id, r]));
  const rl = nodes.filter((n): n is IRTrain => n.type === 'train' && n.algorithm === 'grpo').sort((a, b) => a.order - b.order)[0];
  return judgeOf(rl ? rl.rewards.map((id) => rewards.get(id)!).filter(Boolean) : [...rewards.values()].filter((r) => !explicitJudges.has(r.id)));
}
