// The clipped surrogate, its aggregations, KL estimators, entropy bonus and gradients, by hand.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { policyLoss, tokenLogProbs, type PolicyLossInput } from '../../../src/runtime/rl/loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// The 2×3 example. ε_low = 0.2, ε_high = 0.28 (DAPO), so clip(ρ) ∈ [0.8, 1.28].
// Response 0 has advantage +1 and three tokens; response 1 has advantage −1 and two tokens (its
// third position is padding, with garbage log-probs that must not matter).
//   ρ = exp(logpNew − logpOld):   [[1.0, 1.5, 0.5], [0.5, 1.5, —]]
// Per-token loss −min(ρA, clip(ρ)A):
//   (0,0) A=+1 ρ=1.0: −min(1.0, 1.0)   = −1.0   clip inactive
//   (0,1) A=+1 ρ=1.5: −min(1.5, 1.28)  = −1.28  clip-high active (positive A, ρ > 1 + ε_high)
//   (0,2) A=+1 ρ=0.5: −min(0.5, 0.8)   = −0.5   ρ < 1 − ε_low but A > 0: the unclipped term is the min
//   (1,0) A=−1 ρ=0.5: −min(−0.5, −0.8) = +0.8   clip-low active (negative A, ρ < 1 − ε_low)
//   (1,1) A=−1 ρ=1.5: −min(−1.5, −1.28) = +1.5  ρ > 1 + ε_high but A < 0: the unclipped term is the min
const LOGP_OLD = [
  [-1, -1, -1],
  [-1, -1, 0],
];
const RATIOS = [
  [1, 1.5, 0.5],
  [0.5, 1.5, NaN],
];
const logpNewRows = (masked: number): number[][] => LOGP_OLD.map((row, i) => row.map((o, t) => (i === 1 && t === 2 ? masked : o + Math.log(RATIOS[i]![t]!))));
const MASK = [
  [1, 1, 1],
  [1, 1, 0],
];
const ADV = [1, -1];

type Opts = Partial<Omit<PolicyLossInput, 'logpNew' | 'logpOld' | 'advantages' | 'mask' | 'logpRef' | 'entropy'>> & {
  logpNew?: number[][];
  mask?: number[][];
  logpRef?: number[][];
  entropy?: number[][];
};

/** policyLoss on the example (or overrides) with every output read back as a number. */
function run(o: Opts = {}): Record<'loss' | 'pgLoss' | 'clipFrac' | 'approxKl' | 'kl' | 'entropy', number> {
  const { logpNew, mask, logpRef, entropy, ...rest } = o;
  return tf.tidy(() => {
    const out = policyLoss({
      logpNew: tf.tensor2d(logpNew ?? logpNewRows(50)),
      logpOld: tf.tensor2d(LOGP_OLD),
      advantages: tf.tensor1d(ADV),
      mask: tf.tensor2d(mask ?? MASK),
      clipLow: 0.2,
      clipHigh: 0.28,
      agg: 'token_mean',
      ...rest,
      ...(logpRef ? { logpRef: tf.tensor2d(logpRef) } : {}),
      ...(entropy ? { entropy: tf.tensor2d(entropy) } : {}),
    });
    const n = (t: tf.Scalar): number => t.dataSync()[0]!;
    return { loss: n(out.loss), pgLoss: n(out.pgLoss), clipFrac: n(out.clipFrac), approxKl: n(out.approxKl), kl: n(out.kl), entropy: n(out.entropy) };
  });
}

/** A mask with a single token on. */
const only = (i: number, t: number): number[][] => [0, 1].map((r) => [0, 1, 2].map((c) => (r === i && c === t ? 1 : 0)));

describe('policyLoss: the clipped surrogate per token', () => {
  it('clip inactive: ρ = 1, A = +1 → −1, nothing clipped', () => {
    const r = run({ mask: only(0, 0) });
    expect(r.pgLoss).toBeCloseTo(-1, 6);
    expect(r.clipFrac).toBe(0);
  });
  it('clip-high active: ρ = 1.5 > 1.28, A = +1 → −1.28, clipped', () => {
    const r = run({ mask: only(0, 1) });
    expect(r.pgLoss).toBeCloseTo(-1.28, 6);
    expect(r.clipFrac).toBe(1);
  });
  it('clip-low active: ρ = 0.5 < 0.8, A = −1 → +0.8, clipped', () => {
    const r = run({ mask: only(1, 0) });
    expect(r.pgLoss).toBeCloseTo(0.8, 6);
    expect(r.clipFrac).toBe(1);
  });
  it('outside the range but on the unclipped side: not clipped', () => {
    // (0,2): ρ = 0.5, A = +1 → −0.5;  (1,1): ρ = 1.5, A = −1 → +1.5
    expect(run({ mask: only(0, 2) })).toMatchObject({ clipFrac: 0 });
    expect(run({ mask: only(0, 2) }).pgLoss).toBeCloseTo(-0.5, 6);
    expect(run({ mask: only(1, 1) }).pgLoss).toBeCloseTo(1.5, 6);
    expect(run({ mask: only(1, 1) }).clipFrac).toBe(0);
  });
});

describe('policyLoss: dual-clip (verl clip_ratio_c)', () => {
  // ρ = 4 at (1,1) (A = −1) and at (0,1) (A = +1); c = 3.
  const far = (): number[][] => logpNewRows(50).map((row, i) => row.map((lp, t) => (t === 1 ? LOGP_OLD[i]![t]! + Math.log(4) : lp)));
  it('caps the loss of a negative advantage at −A·c: ρ = 4, A = −1 → 3, not 4', () => {
    expect(run({ logpNew: far(), mask: only(1, 1) }).pgLoss).toBeCloseTo(4, 5);
    expect(run({ logpNew: far(), mask: only(1, 1), clipRatioC: 3 }).pgLoss).toBeCloseTo(3, 5);
  });
  it('leaves positive advantages and ratios inside the bound alone', () => {
    expect(run({ logpNew: far(), mask: only(0, 1), clipRatioC: 3 }).pgLoss).toBeCloseTo(-1.28, 5);
    expect(run({ clipRatioC: 3 }).pgLoss).toBeCloseTo(run().pgLoss, 7); // (1,1) has ρ = 1.5 < 3
  });
  it('gives the capped token no gradient, as verl', () => {
    const g = tf.tidy(() => {
      const f = (lp: tf.Tensor): tf.Scalar => policyLoss({ logpNew: lp as tf.Tensor2D, logpOld: tf.tensor2d(LOGP_OLD), advantages: tf.tensor1d(ADV), mask: tf.tensor2d(only(1, 1)), clipLow: 0.2, clipHigh: 0.28, agg: 'token_mean', clipRatioC: 3 }).loss;
      return Array.from(tf.grad(f)(tf.tensor2d(far())).dataSync());
    });
    expect(g.every((x) => x === 0)).toBe(true);
  });
  it('must be above 1', () => {
    expect(() => run({ clipRatioC: 1 })).toThrow(/clipRatioC/);
  });
});

describe('policyLoss: aggregation', () => {
  // Response sums: row 0: −1 − 1.28 − 0.5 = −2.78 (3 tokens); row 1: 0.8 + 1.5 = 2.3 (2 tokens).
  it('token_mean: Σ over all tokens / number of tokens', () => {
    // (−2.78 + 2.3) / 5 = −0.48 / 5 = −0.096
    const r = run({ agg: 'token_mean' });
    expect(r.pgLoss).toBeCloseTo(-0.096, 6);
    expect(r.loss).toBeCloseTo(-0.096, 6);
    // clipped tokens (0,1) and (1,0): 2 of 5
    expect(r.clipFrac).toBeCloseTo(0.4, 6);
  });
  it('seq_mean_token_mean: mean over responses of per-response means (differs for unequal lengths)', () => {
    // (−2.78/3 + 2.3/2) / 2 = (−0.926667 + 1.15) / 2 = 0.111667
    const r = run({ agg: 'seq_mean_token_mean' });
    expect(r.pgLoss).toBeCloseTo((-2.78 / 3 + 2.3 / 2) / 2, 6);
    expect(r.pgLoss).toBeCloseTo(0.111667, 5);
    expect(r.clipFrac).toBeCloseTo(0.4, 6); // always a share of tokens
  });
  it('seq_mean_token_sum_norm: mean over responses of Σ / normLength (Dr. GRPO)', () => {
    // (−2.78/4 + 2.3/4) / 2 = (−0.695 + 0.575) / 2 = −0.06
    expect(run({ agg: 'seq_mean_token_sum_norm', normLength: 4 }).pgLoss).toBeCloseTo(-0.06, 6);
    expect(() => run({ agg: 'seq_mean_token_sum_norm' })).toThrow(/normLength/);
  });
  it('equal lengths: token_mean equals seq_mean_token_mean', () => {
    const mask = [
      [1, 1, 0],
      [1, 1, 0],
    ];
    // token_mean: (−1 − 1.28 + 0.8 + 1.5) / 4 = 0.02/4 = 0.005; seq: ((−2.28/2) + (2.3/2)) / 2 = 0.005
    expect(run({ mask, agg: 'token_mean' }).pgLoss).toBeCloseTo(0.005, 6);
    expect(run({ mask, agg: 'seq_mean_token_mean' }).pgLoss).toBeCloseTo(0.005, 6);
  });
  it('a response with no tokens (overlong filter) is left out of the seq means', () => {
    const mask = [
      [1, 1, 1],
      [0, 0, 0],
    ];
    // token_mean −2.78/3; seq_mean_token_mean (−2.78/3)/1; sum_norm (−2.78/4)/1
    expect(run({ mask, agg: 'token_mean' }).pgLoss).toBeCloseTo(-2.78 / 3, 6);
    expect(run({ mask, agg: 'seq_mean_token_mean' }).pgLoss).toBeCloseTo(-2.78 / 3, 6);
    expect(run({ mask, agg: 'seq_mean_token_sum_norm', normLength: 4 }).pgLoss).toBeCloseTo(-0.695, 6);
  });
  it('an empty mask gives 0, not NaN', () => {
    const r = run({ mask: [[0, 0, 0], [0, 0, 0]] });
    expect(r).toEqual({ loss: 0, pgLoss: 0, clipFrac: 0, approxKl: 0, kl: 0, entropy: 0 });
  });
  it('approxKl: aggregated ½(logpNew − logpOld)²', () => {
    // d = ln ρ: [[0, ln 1.5, ln 0.5], [ln 0.5, ln 1.5]]; ln 1.5 = 0.405465, ln 0.5 = −0.693147
    // ½d² per response: row 0 ½(0 + 0.164402 + 0.480453) = 0.322427, row 1 ½(0.480453 + 0.164402) = 0.322427
    // token_mean: 0.644855 / 5 = 0.128971
    const h = 0.5 * (Math.log(1.5) ** 2 + Math.log(0.5) ** 2);
    expect(run().approxKl).toBeCloseTo((2 * h) / 5, 6);
    expect(run().approxKl).toBeCloseTo(0.128971, 5);
  });
});

describe('policyLoss: masking', () => {
  it('ignores whatever the masked tokens hold', () => {
    const base = run();
    expect(run({ logpNew: logpNewRows(-3) })).toEqual(base);
    // ±Infinity at a padding position (a product with the mask would give NaN)
    expect(run({ logpNew: logpNewRows(-Infinity) })).toEqual(base);
    expect(run({ logpNew: logpNewRows(Infinity), agg: 'seq_mean_token_mean' }).pgLoss).toBeCloseTo(run({ agg: 'seq_mean_token_mean' }).pgLoss, 7);
    const ref = logpNewRows(0).map((row) => row.map((x) => x - 0.1));
    const withNaNRef = ref.map((row, i) => row.map((x, t) => (i === 1 && t === 2 ? NaN : x)));
    const ent = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const entBig = [
      [1, 2, 3],
      [4, 5, 1e9],
    ];
    expect(run({ logpRef: withNaNRef, klCoef: 0.1, entropy: entBig, entropyCoef: 0.01 }).loss).toBeCloseTo(run({ logpRef: ref, klCoef: 0.1, entropy: ent, entropyCoef: 0.01 }).loss, 6);
  });
});

describe('policyLoss: KL to a reference and the entropy bonus', () => {
  // x = logp − logref per token: [[0.5, −0.5, 0], [1, 0, (pad)]]
  const X = [
    [0.5, -0.5, 0],
    [1, 0, 7],
  ];
  const refFrom = (): number[][] => logpNewRows(50).map((row, i) => row.map((lp, t) => lp - X[i]![t]!));

  it('k1 = logp − logref: (0.5 − 0.5 + 0 + 1 + 0) / 5 = 0.2', () => {
    expect(run({ logpRef: refFrom(), klEstimator: 'k1' }).kl).toBeCloseTo(0.2, 5);
  });
  it('k2 = ½(logp − logref)²: (0.125 + 0.125 + 0 + 0.5 + 0) / 5 = 0.15', () => {
    expect(run({ logpRef: refFrom(), klEstimator: 'k2' }).kl).toBeCloseTo(0.15, 5);
  });
  it('k3 = exp(logref − logp) − (logref − logp) − 1, the default', () => {
    // x = 0.5: e^−0.5 + 0.5 − 1 = 0.106531;  x = −0.5: e^0.5 − 0.5 − 1 = 0.148721;  x = 1: e^−1 = 0.367879
    // (0.106531 + 0.148721 + 0 + 0.367879 + 0) / 5 = 0.623131 / 5 = 0.124626
    const k3 = (x: number): number => Math.exp(-x) + x - 1;
    const want = (k3(0.5) + k3(-0.5) + k3(1)) / 5;
    expect(want).toBeCloseTo(0.124626, 5);
    expect(run({ logpRef: refFrom(), klEstimator: 'k3' }).kl).toBeCloseTo(want, 5);
    expect(run({ logpRef: refFrom() }).kl).toBeCloseTo(want, 5);
  });
  it('k3 is clamped to 10 per token, as verl does: a reference 20 nats above would give e^20', () => {
    const ref = logpNewRows(50).map((row) => row.map((lp) => lp + 20));
    expect(run({ logpRef: ref, klEstimator: 'k3', mask: only(0, 0) }).kl).toBeCloseTo(10, 5);
    expect(run({ logpRef: ref, klEstimator: 'k2', mask: only(0, 0) }).kl).toBeCloseTo(200, 3); // k1, k2 unclamped, as verl
  });
  it('adds klCoef × kl to the loss (aggregated like the surrogate)', () => {
    // token_mean: −0.096 + 0.1 · 0.15 = −0.081
    const r = run({ logpRef: refFrom(), klEstimator: 'k2', klCoef: 0.1 });
    expect(r.pgLoss).toBeCloseTo(-0.096, 6);
    expect(r.loss).toBeCloseTo(-0.081, 5);
    // seq_mean_token_mean k2: ((0.125 + 0.125 + 0)/3 + (0.5 + 0)/2) / 2 = (0.083333 + 0.25)/2 = 0.166667
    const s = run({ logpRef: refFrom(), klEstimator: 'k2', klCoef: 0.1, agg: 'seq_mean_token_mean' });
    expect(s.kl).toBeCloseTo(1 / 6, 5);
    expect(s.loss).toBeCloseTo(s.pgLoss + 0.1 / 6, 5);
  });
  it('reports kl with klCoef 0 but leaves the loss alone; klCoef > 0 without a reference is an error', () => {
    const r = run({ logpRef: refFrom(), klEstimator: 'k1' });
    expect(r.loss).toBeCloseTo(r.pgLoss, 7);
    expect(() => run({ klCoef: 0.1 })).toThrow(/logpRef/);
  });
  it('subtracts entropyCoef × aggregated entropy', () => {
    // entropy token_mean: (1 + 2 + 3 + 4 + 5) / 5 = 3 (the padding's 99 ignored); loss = −0.096 − 0.01·3 = −0.126
    const entropy = [
      [1, 2, 3],
      [4, 5, 99],
    ];
    const r = run({ entropy, entropyCoef: 0.01 });
    expect(r.entropy).toBeCloseTo(3, 6);
    expect(r.loss).toBeCloseTo(-0.126, 6);
    // seq_mean_token_mean: (6/3 + 9/2) / 2 = (2 + 4.5)/2 = 3.25
    expect(run({ entropy, agg: 'seq_mean_token_mean' }).entropy).toBeCloseTo(3.25, 6);
  });
});

describe('policyLoss: gradients', () => {
  it('matches the hand-derived gradient w.r.t. logpNew and gives none to logpOld', () => {
    // token_mean, n = 5: ∂/∂logpNew of −ρA/n is −ρA/5 where the unclipped term is chosen, 0 where clipped:
    //   (0,0) −1·1/5 = −0.2   (0,1) clipped 0   (0,2) −0.5/5 = −0.1
    //   (1,0) clipped 0       (1,1) +1.5/5 = 0.3   (1,2) masked 0
    const [gNew, gOld] = tf.tidy(() => {
      const f = (lpNew: tf.Tensor, lpOld: tf.Tensor): tf.Scalar => policyLoss({ logpNew: lpNew as tf.Tensor2D, logpOld: lpOld as tf.Tensor2D, advantages: tf.tensor1d(ADV), mask: tf.tensor2d(MASK), clipLow: 0.2, clipHigh: 0.28, agg: 'token_mean' }).loss;
      return tf.grads(f)([tf.tensor2d(logpNewRows(50)), tf.tensor2d(LOGP_OLD)]).map((g) => g.arraySync() as number[][]);
    });
    const want = [
      [-0.2, 0, -0.1],
      [0, 0.3, 0],
    ];
    gNew!.forEach((row, i) => row.forEach((g, t) => expect(g).toBeCloseTo(want[i]![t]!, 6)));
    expect(gOld!.flat().every((g) => g === 0)).toBe(true);
  });

  const cases: Array<[string, Partial<PolicyLossInput>]> = [
    ['token_mean', { agg: 'token_mean' }],
    ['seq_mean_token_mean', { agg: 'seq_mean_token_mean' }],
    ['seq_mean_token_sum_norm', { agg: 'seq_mean_token_sum_norm', normLength: 6 }],
    ['token_mean + k3 KL', { agg: 'token_mean', klCoef: 0.3, klEstimator: 'k3' }],
    ['seq_mean_token_mean + k2 KL', { agg: 'seq_mean_token_mean', klCoef: 0.3, klEstimator: 'k2' }],
  ];
  it.each(cases)('agrees with central finite differences: %s', (_name, extra) => {
    // Smooth points away from the clip boundaries: ρ ∈ {1.1, 0.9, 1.5, 0.6, 1.05, 0.95, 1.2, 0.7}.
    const N = 2;
    const T = 4;
    const old = [-1.2, -0.7, -2.0, -0.4, -1.5, -0.9, -0.3, -1.1];
    const rho = [1.1, 0.9, 1.5, 0.6, 1.05, 0.95, 1.2, 0.7];
    const x0 = old.map((o, i) => o + Math.log(rho[i]!));
    const ref = old.map((o, i) => o + 0.2 * Math.sin(i + 1));
    const mask = [1, 1, 1, 1, 1, 1, 1, 0];
    const adv = [0.8, -1.3];
    const f = (x: tf.Tensor): tf.Scalar =>
      policyLoss({
        logpNew: x as tf.Tensor2D,
        logpOld: tf.tensor2d(old, [N, T]),
        advantages: tf.tensor1d(adv),
        mask: tf.tensor2d(mask, [N, T]),
        clipLow: 0.2,
        clipHigh: 0.28,
        agg: 'token_mean',
        ...(extra.klCoef ? { logpRef: tf.tensor2d(ref, [N, T]) } : {}),
        ...extra,
      }).loss;
    const analytic = tf.tidy(() => Array.from(tf.grad(f)(tf.tensor2d(x0, [N, T])).dataSync()));
    const h = 1e-2;
    const value = (x: number[]): number => tf.tidy(() => f(tf.tensor2d(x, [N, T])).dataSync()[0]!);
    x0.forEach((_, k) => {
      const up = x0.slice();
      const down = x0.slice();
      up[k]! += h;
      down[k]! -= h;
      const numeric = (value(up) - value(down)) / (2 * h);
      expect(Math.abs(analytic[k]! - numeric)).toBeLessThan(2e-3);
    });
    // The padded position gets no gradient at all.
    expect(analytic[7]).toBe(0);
  });

  it('lets the entropy bonus carry gradient to the entropy tensor', () => {
    // loss = … − 0.5 · token_mean(entropy): ∂/∂entropy = −0.5/5 = −0.1 on masked-in tokens, 0 on padding
    const g = tf.tidy(() => {
      const f = (e: tf.Tensor): tf.Scalar => policyLoss({ logpNew: tf.tensor2d(logpNewRows(50)), logpOld: tf.tensor2d(LOGP_OLD), advantages: tf.tensor1d(ADV), mask: tf.tensor2d(MASK), clipLow: 0.2, clipHigh: 0.28, agg: 'token_mean', entropy: e as tf.Tensor2D, entropyCoef: 0.5 }).loss;
      return tf.grad(f)(tf.ones([2, 3])).arraySync() as number[][];
    });
    [-0.1, -0.1, -0.1, -0.1, -0.1, 0].forEach((want, k) => expect(g.flat()[k]).toBeCloseTo(want, 6));
  });
});

describe('policyLoss: tensors', () => {
  it('leaks nothing: only its outputs remain, and none once they are disposed', () => {
    const inputs = {
      logpNew: tf.tensor2d(logpNewRows(50)),
      logpOld: tf.tensor2d(LOGP_OLD),
      advantages: tf.tensor1d(ADV),
      mask: tf.tensor2d(MASK),
      logpRef: tf.tensor2d(LOGP_OLD),
      entropy: tf.ones([2, 3]) as tf.Tensor2D,
    };
    const before = tf.memory().numTensors;
    const out = policyLoss({ ...inputs, clipLow: 0.2, clipHigh: 0.28, agg: 'seq_mean_token_mean', klCoef: 0.1, entropyCoef: 0.01 });
    expect(tf.memory().numTensors).toBe(before + 6);
    tf.dispose(Object.values(out));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });
  it('checks shapes', () => {
    expect(() =>
      tf.tidy(() => {
        policyLoss({ logpNew: tf.zeros([2, 3]), logpOld: tf.zeros([2, 2]), advantages: tf.zeros([2]), mask: tf.ones([2, 3]), clipLow: 0.2, clipHigh: 0.2, agg: 'token_mean' });
      }),
    ).toThrow(/logpOld/);
    expect(() =>
      tf.tidy(() => {
        policyLoss({ logpNew: tf.zeros([2, 3]), logpOld: tf.zeros([2, 3]), advantages: tf.zeros([3]), mask: tf.ones([2, 3]), clipLow: 0.2, clipHigh: 0.2, agg: 'token_mean' });
      }),
    ).toThrow(/advantages/);
  });
});

describe('tokenLogProbs', () => {
  // N = 1, T = 2, V = 3. Position 0: logits [0, 1, 2], target 2; position 1: logits [1, 1, 1], target 0.
  const LOGITS = [
    [
      [0, 1, 2],
      [1, 1, 1],
    ],
  ];
  const TARGETS = [[2, 0]];
  // Position 0: logsumexp = ln(1 + e + e²) = ln(11.107338) = 2.407606 → log p(2) = 2 − 2.407606 = −0.407606
  //   p = [1, e, e²]/11.107338 = [0.090031, 0.244728, 0.665241];
  //   H = −Σ p ln p = lse − Σ p·z = 2.407606 − (0.244728 + 2·0.665241) = 0.832396
  // Position 1: uniform → log p = −ln 3 = −1.098612, H = ln 3
  const lse0 = Math.log(1 + Math.E + Math.E ** 2);
  const p0 = [0, 1, 2].map((z) => Math.exp(z - lse0));
  const H0 = -p0.reduce((s, p) => s + p * Math.log(p), 0);

  it('equals the log-softmax and entropy by hand', () => {
    const { logp, entropy } = tf.tidy(() => {
      const r = tokenLogProbs(tf.tensor3d(LOGITS), tf.tensor2d(TARGETS, [1, 2], 'int32'));
      return { logp: r.logp.arraySync(), entropy: r.entropy.arraySync() };
    });
    expect(lse0).toBeCloseTo(2.407606, 6);
    expect(logp[0]![0]).toBeCloseTo(-0.407606, 5);
    expect(logp[0]![1]).toBeCloseTo(-Math.log(3), 6);
    expect(H0).toBeCloseTo(0.832396, 5);
    expect(entropy[0]![0]).toBeCloseTo(H0, 5);
    expect(entropy[0]![1]).toBeCloseTo(Math.log(3), 6);
  });

  it('divides the logits by the temperature', () => {
    // T = 2: position 0 logits [0, 0.5, 1]; lse = ln(1 + e^0.5 + e) = ln(5.367003) = 1.680274 → 1 − 1.680274 = −0.680274
    const lp = tf.tidy(() => tokenLogProbs(tf.tensor3d(LOGITS), tf.tensor2d(TARGETS, [1, 2], 'int32'), 2).logp.arraySync());
    expect(lp[0]![0]).toBeCloseTo(-0.680274, 5);
    expect(lp[0]![1]).toBeCloseTo(-Math.log(3), 6);
  });

  it('has the gradient (onehot − softmax)/T on the cpu backend', () => {
    // ∂ Σ logp / ∂ logits at position 0 = onehot(2) − p0 = [−0.090031, −0.244728, 0.334759]
    // position 1 = onehot(0) − 1/3 = [0.666667, −0.333333, −0.333333]
    const g = tf.tidy(() => tf.grad((l: tf.Tensor) => tf.sum(tokenLogProbs(l as tf.Tensor3D, tf.tensor2d(TARGETS, [1, 2], 'int32')).logp))(tf.tensor3d(LOGITS)).arraySync() as number[][][]);
    const want = [
      [-p0[0]!, -p0[1]!, 1 - p0[2]!],
      [2 / 3, -1 / 3, -1 / 3],
    ];
    want.forEach((row, t) => row.forEach((w, v) => expect(g[0]![t]![v]).toBeCloseTo(w, 5)));
  });

  it('leaks nothing', () => {
    const logits = tf.tensor3d(LOGITS);
    const targets = tf.tensor2d(TARGETS, [1, 2], 'int32');
    const before = tf.memory().numTensors;
    const r = tokenLogProbs(logits, targets, 0.7);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([r.logp, r.entropy]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, targets]);
  });
});
