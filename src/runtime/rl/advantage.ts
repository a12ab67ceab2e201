// Group-relative advantages (GRPO) and the all-equal test behind DAPO's dynamic sampling.
//
// Rewards arrive flat, one per response, with the G responses of each prompt side by side:
// [q0·o1 … q0·oG, q1·o1 … q1·oG, …]. Every token of response i later gets A_i.
//
// Std convention: the *sample* standard deviation (Bessel's correction, divide by G − 1), because
// that is what verl and TRL compute: both call `torch.std`, whose default is `correction=1`
// (verl `compute_grpo_outcome_advantage`: `torch.std(scores_tensor)`; TRL GRPOTrainer:
// `rewards.view(-1, num_generations).std(dim=1)`). For the same rewards it is √(G/(G−1)) times the
// population std, e.g. rewards [1, 0] give std 0.7071 (not 0.5) and advantages ±0.7071.
// ε = 1e-6 is verl's default (TRL adds 1e-4).

/** Whether each group of `groupSize` consecutive rewards has one value only (exact equality). */
export function allEqualGroups(rewards: readonly number[], groupSize: number): boolean[] {
  checkShape(rewards, groupSize);
  const out: boolean[] = [];
  for (let start = 0; start < rewards.length; start += groupSize) {
    const first = rewards[start]!;
    let equal = true;
    for (let i = start + 1; i < start + groupSize; i++) if (rewards[i] !== first) equal = false;
    out.push(equal);
  }
  return out;
}

/**
 * A_i = (r_i − mean) / (std + eps) per group of `groupSize` consecutive rewards, or r_i − mean when
 * `stdScale` is false (Dr. GRPO). std is the sample std (divide by G − 1, as verl and TRL).
 * A group whose rewards are all equal (including a group of one) gets exact zeros: it carries no
 * signal, and float rounding in the mean must not turn into a tiny non-zero advantage.
 */
export function groupAdvantages(rewards: readonly number[], groupSize: number, stdScale: boolean, eps = 1e-6): number[] {
  const equal = allEqualGroups(rewards, groupSize);
  const out = new Array<number>(rewards.length).fill(0);
  equal.forEach((isEqual, g) => {
    if (isEqual) return;
    const group = rewards.slice(g * groupSize, (g + 1) * groupSize);
    const mean = group.reduce((s, r) => s + r, 0) / groupSize;
    const variance = group.reduce((s, r) => s + (r - mean) ** 2, 0) / (groupSize - 1);
    const scale = stdScale ? 1 / (Math.sqrt(variance) + eps) : 1;
    group.forEach((r, i) => (out[g * groupSize + i] = (r - mean) * scale));
  });
  return out;
}

function checkShape(rewards: readonly number[], groupSize: number): void {
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new Error(`group size must be a positive integer, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) throw new Error(`${rewards.length} rewards do not split into groups of ${groupSize}`);
}
