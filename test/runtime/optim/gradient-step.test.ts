// GradientStep and its helpers on the cpu backend (no graphs there: the step runs through tfjs):
// the same numbers as a step written out with variableGrads, clipByGlobalNorm and AdamW; clipping
// on the device equal to clipByGlobalNorm's; and the length buckets that keep shapes few.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/runtime/backend.js';
import { AdamW, clipByGlobalNorm } from '../../../src/runtime/optim/adamw.js';
import { bucketLength, clipOnDevice, GradientStep, GradientSteps, LENGTH_BUCKET } from '../../../src/runtime/optim/gradient-step.js';
import { Rng } from '../../../src/runtime/rng.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

function params(seed: number): Map<string, tf.Variable> {
  const rng = new Rng(seed);
  const v = (shape: number[]) => tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape));
  return new Map([
    ['w', v([4, 3])],
    ['b', v([3])],
  ]);
}

const lossOf = (p: Map<string, tf.Variable>, x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, p.get('w')!), p.get('b')!), y))) as tf.Scalar;

describe('GradientStep', () => {
  it('gives the written-out step\'s loss, gradient norm and weights, with and without clipping', async () => {
    for (const clip of [null, 0.5]) {
      const [pa, pb] = [params(1), params(1)];
      const [oa, ob] = [new AdamW(pa, { weightDecay: 0.1 }), new AdamW(pb, { weightDecay: 0.1 })];
      const step = new GradientStep({ params: pb, optimizer: ob, inputs: { x: { shape: [5, 4], dtype: 'float32' }, y: { shape: [5, 3], dtype: 'float32' } }, loss: (t) => ({ loss: lossOf(pb, t.x!, t.y!) }), clip });
      const rng = new Rng(2);
      for (let s = 0; s < 3; s++) {
        const x = Float32Array.from({ length: 20 }, () => rng.normal());
        const y = Float32Array.from({ length: 15 }, () => rng.normal());
        // Written out.
        const xt = tf.tensor2d(x, [5, 4]);
        const yt = tf.tensor2d(y, [5, 3]);
        const { value, grads } = tf.variableGrads(() => lossOf(pa, xt, yt), [...pa.values()]);
        const clipped = await clipByGlobalNorm(new Map([...pa].map(([k, v]) => [k, grads[v.name]!])), clip);
        oa.step(clipped.grads, 1e-2);
        const want = { loss: (await value.data())[0]!, norm: clipped.norm };
        tf.dispose([xt, yt, value, ...Object.values(grads), ...clipped.grads.values()]);
        // Through the step.
        const out = step.run({ x, y }, 1e-2);
        expect((await out.loss.data())[0]).toBeCloseTo(want.loss, 6);
        expect((await out.gradNorm.data())[0]).toBeCloseTo(want.norm, 5);
      }
      for (const k of pa.keys()) {
        const [a, b] = [await pa.get(k)!.data(), await pb.get(k)!.data()];
        for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 6);
      }
      step.dispose();
      tf.dispose([...pa.values(), ...pb.values()]);
      oa.dispose();
      ob.dispose();
    }
  });

  it('keeps at most maxShapes shapes, the least recently used one let go first, and counts what it ran', () => {
    const p = params(3);
    const opt = new AdamW(p);
    const made: string[] = [];
    const steps = new GradientSteps<'x'>(
      (key) => {
        made.push(key);
        const n = Number(key);
        return new GradientStep({ params: p, optimizer: opt, inputs: { x: { shape: [n, 4], dtype: 'float32' } }, loss: (t) => ({ loss: tf.mean(tf.matMul(t.x!, p.get('w')!)) as tf.Scalar }) });
      },
      { maxShapes: 2 },
    );
    const before = tf.memory().numTensors;
    for (const n of [2, 3, 2, 5, 3]) steps.run(String(n), { x: new Float32Array(n * 4).fill(1) }, 1e-3);
    // 2, 3 made; 2 used again; 5 made (3 let go: least recently used); 3 made again.
    expect(made).toEqual(['2', '3', '5', '3']);
    expect(steps.stats()).toEqual({ updates: 5, replayed: 0 });
    steps.dispose();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose([...p.values()]);
  });

  it('keeps more shapes while their reserved memory fits the budget, and always the two most recently used', () => {
    // Stand-ins for steps whose graphs hold 100 bytes each (reservedBytes is 0 off webgpu).
    const live = new Set<string>();
    const made: string[] = [];
    const stub = (key: string) =>
      ({
        run: () => ({}),
        status: () => ({ eager: 1, replayed: 0, ready: false, dispatches: 0 }),
        reservedBytes: () => 100,
        dispose: () => live.delete(key),
      }) as unknown as GradientStep<'x'>;
    const run = (budgetBytes: number, keys: string[]) => {
      made.length = 0;
      live.clear();
      const steps = new GradientSteps<'x'>((key) => (made.push(key), live.add(key), stub(key)), { budgetBytes });
      for (const k of keys) steps.run(k, { x: new Float32Array(1) }, 1e-3);
      return [...live].sort();
    };
    // 250 bytes: a third shape is made (200 held), a fourth lets the oldest go (300 > 250).
    expect(run(250, ['a', 'b', 'c', 'a', 'd'])).toEqual(['a', 'c', 'd']); // b: least recently used
    expect(made).toEqual(['a', 'b', 'c', 'd']);
    // A budget of nothing still keeps the two most recent shapes.
    expect(run(0, ['a', 'b', 'c', 'd'])).toEqual(['c', 'd']);
    // A large budget keeps every shape, up to maxShapes (8).
    expect(run(1e9, 'abcdefghij'.split(''))).toEqual('cdefghij'.split(''));
  });
});

describe('clipOnDevice', () => {
  it('clips to clipByGlobalNorm\'s numbers, and only measures without a limit', async () => {
    const rng = new Rng(4);
    const grads = new Map([
      ['a', tf.tensor(Float32Array.from({ length: 30 }, () => rng.normal()), [5, 6])],
      ['b', tf.tensor(Float32Array.from({ length: 7 }, () => rng.normal()), [7])],
      ['c', tf.tensor(Float32Array.from({ length: 4 }, () => rng.normal()), [2, 2])],
    ]);
    for (const limit of [null, 0.1, 100]) {
      const want = await clipByGlobalNorm(grads, limit);
      const got = clipOnDevice(grads, limit);
      expect((await got.norm.data())[0]).toBeCloseTo(want.norm, 5);
      for (const k of grads.keys()) {
        const [a, b] = [await got.grads.get(k)!.data(), await want.grads.get(k)!.data()];
        for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
      }
      if (limit !== null) tf.dispose([...got.grads.values()]);
      tf.dispose([got.norm, ...want.grads.values()]);
    }
    tf.dispose([...grads.values()]);
  });
});

describe('bucketLength', () => {
  it('pads to a multiple of 32, or of an eighth of the length\'s power of two, never past the positions', () => {
    for (let L = 1; L <= 40000; L += 37) {
      const b = bucketLength(L, 32768);
      if (L > 32768) expect(b).toBe(L);
      else {
        expect(b).toBeGreaterThanOrEqual(L);
        expect(b).toBeLessThanOrEqual(32768);
        expect(b % LENGTH_BUCKET === 0 || b === 32768).toBe(true);
        expect(b - L).toBeLessThanOrEqual(Math.max(LENGTH_BUCKET - 1, L / 8));
      }
    }
    // Few shapes over a long budget's range.
    const shapes = new Set(Array.from({ length: 8001 }, (_, i) => bucketLength(8000 + i, 32768)));
    expect(shapes.size).toBeLessThanOrEqual(9);
    expect(bucketLength(13, 64)).toBe(32);
    expect(bucketLength(60, 40)).toBe(60);
  });
});
