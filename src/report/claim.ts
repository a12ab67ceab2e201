// The claim registered in docs/results.md before the testbed's schedule comparison ran, as code, so
// that the outcome is computed from the runs rather than read off a table by the person who hoped
// for it. Input: a `siric compare` comparison of the variants; output: every quantity the rules
// use, and the verdict under each token measure.
//
// The rules (docs/results.md, "The claim, registered before the comparison runs"):
// - precondition: GRPO with the fixed long budget raises greedy accuracy over the SFT model outside
//   the seed spread; operationalised as: the mean paired gain (end of fixed-long minus after SFT,
//   same seed) exceeds the standard deviation of the per-seed gains. Without it: no answer.
// - SIRI wins if SIRI-low's accuracy is at least fixed-long's within one standard error of the
//   paired difference, at >= 20 % fewer mean tokens; or SIRI-high's accuracy is above fixed-long's
//   by more than one standard error.
// - SIRI loses if SIRI-low's accuracy is below fixed-long's by more than one standard error, or its
//   tokens are within 20 % of fixed-long's at no accuracy gain (neither SIRI point above by more
//   than one standard error).
// - Otherwise (or when a win and a loss rule both hold): no answer.
// SIRI-low and SIRI-high are the last such points of the SIRI variant; fixed-long is taken at its
// end, the checkpoint a user of that schedule would keep.
import { stat, type Comparison, type PointRow, type Stat, type Variant } from './compare.js';

export interface ClaimOptions {
  baseline?: string;
  siri?: string;
  /** The column accuracy is judged in (the registered claim: greedy). */
  accuracyColumn?: string;
  /** How much fewer tokens counts as a saving (registered: 0.2). */
  tokenSaving?: number;
}

export interface Paired {
  /** variant − baseline, per seed, in fractions (accuracy) or tokens. */
  diff: Stat;
  seeds: number[];
  baseline_step: number;
  step: number;
}

export interface TokenVerdict {
  column: string;
  /** Mean tokens of SIRI-low and of fixed-long's end, and 1 − their ratio. */
  siri_low_tokens: number;
  baseline_tokens: number;
  saving: number;
  /** Tokens paired by seed (SIRI-low − fixed-long). */
  paired: Paired;
  rules: { win_low: boolean; win_high: boolean; lose_low: boolean; lose_tokens: boolean };
  verdict: 'SIRI wins' | 'SIRI loses' | 'no answer';
  why: string;
}

export interface ClaimResult {
  precondition: { gain: Stat; seeds: number[]; holds: boolean; why: string };
  siri_low: Paired & { when: string };
  siri_high: Paired & { when: string };
  tokens: TokenVerdict[];
}

function variant(c: Comparison, name: string): Variant {
  const v = c.variants.find((x) => x.name === name);
  if (!v) throw new Error(`no variant \`${name}\` among: ${c.variants.map((x) => x.name).join(', ')}`);
  return v;
}

/** Per-seed differences a − b of one measure, over the seeds both points have. */
function paired(a: PointRow, b: PointRow, col: string, pick: 'accuracy' | 'tokens'): Paired {
  const ca = a.cells[col];
  const cb = b.cells[col];
  if (!ca || !cb) throw new Error(`no \`${col}\` eval at step ${!ca ? a.step : b.step}`);
  const pairs = ca.by_seed.flatMap((x) => {
    const y = cb.by_seed.find((z) => z.seed === x.seed);
    return y ? [{ seed: x.seed, d: x[pick] - y[pick] }] : [];
  });
  if (pairs.length < 2) throw new Error(`fewer than two seeds shared between steps ${a.step} and ${b.step}`);
  return { diff: stat(pairs.map((p) => p.d)), seeds: pairs.map((p) => p.seed), step: a.step, baseline_step: b.step };
}

const pts = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;

export function evaluateClaim(c: Comparison, o: ClaimOptions = {}): ClaimResult {
  const acc = o.accuracyColumn ?? 'greedy';
  const saving = o.tokenSaving ?? 0.2;
  const base = variant(c, o.baseline ?? 'fixed_long');
  const siri = variant(c, o.siri ?? 'siri');
  const end = base.points.at(-1);
  const sft = base.points.find((p) => p.when === 'after SFT');
  if (!end || !sft) throw new Error(`${base.name} needs an eval after SFT and at its end`);
  const low = siri.points.filter((p) => p.siri === 'low').at(-1);
  const high = siri.points.filter((p) => p.siri === 'high').at(-1);
  if (!low || !high) throw new Error(`${siri.name} has no eval at a SIRI-low or SIRI-high checkpoint`);

  const gain = paired(end, sft, acc, 'accuracy');
  const holds = gain.diff.mean > gain.diff.std;
  const lowAcc = paired(low, end, acc, 'accuracy');
  const highAcc = paired(high, end, acc, 'accuracy');
  const d = lowAcc.diff;
  const h = highAcc.diff;
  const columns = [...new Set([...siri.columns.filter((x) => base.columns.includes(x))])];
  const tokens = columns
    .filter((col) => low.cells[col] && end.cells[col])
    .map((col): TokenVerdict => {
      const tl = low.cells[col]!.tokens.mean;
      const tb = end.cells[col]!.tokens.mean;
      const s = 1 - tl / tb;
      const rules = {
        win_low: d.mean >= -d.se && s >= saving,
        win_high: h.mean > h.se,
        lose_low: d.mean < -d.se,
        lose_tokens: Math.abs(s) < saving && !(d.mean > d.se) && !(h.mean > h.se),
      };
      const win = rules.win_low || rules.win_high;
      const lose = rules.lose_low || rules.lose_tokens;
      const verdict = !holds ? 'no answer' : win && !lose ? 'SIRI wins' : lose && !win ? 'SIRI loses' : 'no answer';
      const why = !holds
        ? `the precondition fails: fixed-long's gain over SFT, ${pts(gain.diff.mean)} points, is within the seed spread (std ${(gain.diff.std * 100).toFixed(1)})`
        : [
            `SIRI-low ${pts(d.mean)} ± ${(d.se * 100).toFixed(1)} points against fixed-long's end at ${(s * 100).toFixed(1)} % fewer ${col} tokens (${tl.toFixed(1)} vs ${tb.toFixed(1)})`,
            `SIRI-high ${pts(h.mean)} ± ${(h.se * 100).toFixed(1)} points`,
            `rules met: ${Object.entries(rules).filter(([, v]) => v).map(([k]) => k).join(', ') || 'none'}`,
          ].join('; ');
      return { column: col, siri_low_tokens: tl, baseline_tokens: tb, saving: s, paired: paired(low, end, col, 'tokens'), rules, verdict, why };
    });
  return {
    precondition: { gain: gain.diff, seeds: gain.seeds, holds, why: `fixed-long's paired gain over SFT ${pts(gain.diff.mean)} points, per-seed std ${(gain.diff.std * 100).toFixed(1)}, s.e. ${(gain.diff.se * 100).toFixed(1)}` },
    siri_low: { ...lowAcc, when: low.when },
    siri_high: { ...highAcc, when: high.when },
    tokens,
  };
}
