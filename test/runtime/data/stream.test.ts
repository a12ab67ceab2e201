// ExampleStream: every example once per epoch, a new order each epoch, and a resumed stream that
// continues with exactly the examples an uninterrupted one would have drawn.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExampleStream } from '../../../src/runtime/data/dataset.js';
import { RunError, type Example } from '../../../src/runtime/types.js';

const rows = (n: number): Example[] => Array.from({ length: n }, (_, i) => ({ prompt: `p${i}`, origin: `x#${i}` }));
const ids = (xs: Example[]) => xs.map((e) => Number(e.origin.split('#')[1]));
const stream = (n: number, shuffle = true, seed = 7, name = 'train.rl') => new ExampleStream(rows(n), { seed, name, shuffle });

describe('ExampleStream', () => {
  it('hands out every example once per epoch, reshuffled each epoch', () => {
    const s = stream(50);
    const e0 = ids(s.next(50));
    const e1 = ids(s.next(50));
    expect([...e0].sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect([...e1].sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect(e0).not.toEqual([...Array(50).keys()]);
    expect(e1).not.toEqual(e0);
    expect(s.state()).toEqual({ epoch: 1, pos: 50 });
  });

  it('crosses epochs inside a batch', () => {
    const s = stream(5, false);
    expect(ids(s.next(3))).toEqual([0, 1, 2]);
    expect(ids(s.next(4))).toEqual([3, 4, 0, 1]);
    expect(s.state()).toEqual({ epoch: 1, pos: 2 });
    expect(ids(s.next(12))).toEqual([2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3]);
  });

  it('depends on the seed and the name only', () => {
    expect(ids(stream(30).next(30))).toEqual(ids(stream(30).next(30)));
    expect(ids(stream(30, true, 8).next(30))).not.toEqual(ids(stream(30).next(30)));
    expect(ids(stream(30, true, 7, 'train.other').next(30))).not.toEqual(ids(stream(30).next(30)));
  });

  it('resumes exactly: draw k batches, save, draw more; a fresh stream restored draws the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 12 }), fc.boolean(), fc.nat(), (n, before, after, shuffle, seed) => {
        const a = stream(n, shuffle, seed);
        for (const b of before) a.next(b);
        const saved = JSON.parse(JSON.stringify(a.state()));
        const want = after.map((b) => ids(a.next(b)));
        const fresh = stream(n, shuffle, seed);
        fresh.restore(saved);
        expect(after.map((b) => ids(fresh.next(b)))).toEqual(want);
        expect(fresh.state()).toEqual(a.state());
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a state that does not fit the data, and an empty split', () => {
    expect(() => stream(5).restore({ epoch: 0, pos: 6 })).toThrow(RunError);
    expect(() => stream(5).restore({ epoch: -1, pos: 0 })).toThrow(/cannot resume/);
    expect(() => stream(0).next(1)).toThrow(/no examples/);
    expect(stream(0).next(0)).toEqual([]);
  });
});
