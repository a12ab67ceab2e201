// Which groups a GRPO step trains on: DAPO's dynamic sampling, as verl's `algorithm.filter_groups`.
//
// A group whose responses all agree on the filter's metric carries nothing to learn. With
// `metric = acc` (the default, DAPO's and verl's `acc`) that is "all right" or "all wrong"; with
// `metric = reward` (verl's `score`) the total reward must be equal. Filtering on the total reward
// lets an all-right group with a soft length penalty through, and std scaling then turns its tiny
// length differences into ±1 advantages.
//
// Rounds: each samples a full `batch` of prompts (verl's gen_batch_size = train batch) until the
// batch holds `batch` kept groups or `max_rounds` extra rounds ran (verl's max_num_gen_batches is
// max_rounds + 1). The first `batch` kept groups, in sampling order, are trained on; when fewer were
// kept the step trains on those and says so (groupsShort > 0), never silently.
import type { IRTrain } from '../../ir/graph.js';
import type { ScoredBatch } from '../types.js';
import { allEqualGroups } from './advantage.js';

export interface Round<R> {
  rollouts: R[];
  scores: ScoredBatch;
}

export interface SampledBatch<R> extends Round<R> {
  /** Per group of every round: trained on (at most `batch` of them). */
  keep: boolean[];
  kept: number;
  /** Sampling rounds run (1 without dynamic sampling). */
  rounds: number;
  /** Groups the batch lacks after the last round (0 when full, and always without dynamic sampling). */
  short: number;
}

/** Whether each group has something to learn under the filter's metric. */
export function informativeGroups(scores: ScoredBatch, G: number, metric: IRTrain['dynamic_sampling']['metric']): boolean[] {
  const values = metric === 'acc' ? scores.correct.map((c) => (c ? 1 : 0)) : scores.total;
  return allEqualGroups(values, G).map((equal) => !equal);
}

/** Samples rounds of `batch` prompts (draw) until the stage's batch is full or the rounds run out. */
export async function sampleGroups<R>(st: Pick<IRTrain, 'batch' | 'group' | 'dynamic_sampling'>, draw: (prompts: number) => Promise<Round<R>>): Promise<SampledBatch<R>> {
  const ds = st.dynamic_sampling;
  const first = await draw(st.batch);
  let rollouts = first.rollouts;
  let scores = first.scores;
  if (!ds.enabled) return { rollouts, scores, keep: new Array<boolean>(st.batch).fill(true), kept: st.batch, rounds: 1, short: 0 };
  let keep = informativeGroups(scores, st.group, ds.metric);
  let rounds = 1;
  while (count(keep) < st.batch && rounds <= ds.max_rounds) {
    const more = await draw(st.batch);
    rollouts = [...rollouts, ...more.rollouts];
    scores = concatScores(scores, more.scores);
    keep = [...keep, ...informativeGroups(more.scores, st.group, ds.metric)];
    rounds++;
  }
  let kept = 0;
  keep = keep.map((k) => (k && kept < st.batch ? (kept++, true) : false));
  return { rollouts, scores, keep, kept, rounds, short: st.batch - kept };
}

/** Why a step made no update although it sampled (every group dropped by the filter). */
export function noGroupsReason(metric: IRTrain['dynamic_sampling']['metric']): string {
  return `all groups had equal ${metric === 'acc' ? 'accuracy' : 'rewards'}`;
}

/** The warning for a batch that dynamic sampling could not fill. */
export function shortBatchWarning(st: Pick<IRTrain, 'batch' | 'name' | 'dynamic_sampling'>, s: { kept: number; rounds: number }, globalStep: number): string {
  const what = st.dynamic_sampling.metric === 'acc' ? 'accuracy' : 'rewards';
  return `step ${globalStep} of \`${st.name}\`: dynamic sampling kept ${s.kept} of ${st.batch} groups after ${s.rounds} rounds (the others had equal ${what}); ${s.kept ? `trained on those ${s.kept}` : 'no update'} (raise \`max_rounds\` to fill the batch)`;
}

const count = (keep: boolean[]): number => keep.filter(Boolean).length;

function concatScores(a: ScoredBatch, b: ScoredBatch): ScoredBatch {
  const parts: Record<string, number[]> = {};
  for (const k of Object.keys(a.parts)) parts[k] = [...a.parts[k]!, ...(b.parts[k] ?? [])];
  return {
    total: [...a.total, ...b.total],
    parts,
    correct: [...a.correct, ...b.correct],
    errors: [...a.errors, ...b.errors.map((e) => ({ ...e, index: e.index + a.total.length }))],
  };
}
