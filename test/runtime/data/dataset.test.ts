// Loading dataset nodes: generated tasks, JSONL files (malformed rows named by file:line, or
// skipped and counted), templates, limit, holdout and the alphabet.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IRDataset } from '../../../src/ir/graph.js';
import { alphabetOf, loadDataset } from '../../../src/runtime/data/dataset.js';
import { fillTemplate } from '../../../src/runtime/data/template.js';
import { arithmeticAnswer } from '../../../src/runtime/data/tasks/index.js';
import { RunError } from '../../../src/runtime/types.js';

const baseDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/runtime');
const tpl = (text: string, ...fields: string[]) => ({ text, fields });

function node(o: Partial<IRDataset>): IRDataset {
  return {
    id: 'dataset.d',
    type: 'dataset',
    name: 'd',
    source: { kind: 'jsonl', path: 'data/good.jsonl' },
    prompt: tpl('Q: {problem}\n', 'problem'),
    answer: tpl('{answer}', 'answer'),
    response: null,
    fields: null,
    holdout: 0,
    limit: null,
    shuffle: true,
    on_bad_row: 'error',
    on_long_prompt: 'error',
    ...o,
  };
}

const load = (o: Partial<IRDataset>, seed = 7) => loadDataset(node(o), { baseDir, seed });

/** The RunError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<RunError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RunError);
  return e as RunError;
}

describe('generated datasets', () => {
  const quickstart: Partial<IRDataset> = {
    id: 'dataset.arith',
    name: 'arith',
    source: { kind: 'generated', task: 'arithmetic', params: { operands: { from: 2, to: 3 }, digits: { from: 1, to: 2 }, ops: ['add', 'sub', 'mul'], redundancy: 0.35, train_size: 800, eval_size: 64 } },
    prompt: tpl('{question}\n', 'question'),
    answer: tpl('{answer}', 'answer'),
    response: tpl('{solution}', 'solution'),
  };

  it('fills the templates from the generated rows, with the task\'s own eval split', async () => {
    const ds = await load(quickstart);
    expect(ds.name).toBe('arith');
    expect(ds.train).toHaveLength(800);
    expect(ds.eval).toHaveLength(64);
    expect(ds.skipped).toBe(0);
    const ex = ds.train[0]!;
    expect(ex.prompt).toMatch(/^[-+*0-9]+=\n$/);
    expect(ex.answer).toBe(arithmeticAnswer(ex.prompt.trim()));
    expect(ex.response).toMatch(new RegExp(`Answer: ${ex.answer!.replace('-', '\\-')}$`));
    expect(ex.origin).toBe('arithmetic#0');
    expect(ds.eval[3]!.origin).toBe('arithmetic/eval#3');
    const evalPrompts = new Set(ds.eval.map((e) => e.prompt));
    expect(ds.train.some((e) => evalPrompts.has(e.prompt))).toBe(false);
  });

  it('is the same for the same seed, and the holdout setting does not apply', async () => {
    expect(await load(quickstart, 3)).toEqual(await load({ ...quickstart, holdout: 10 }, 3));
  });

  it('caps each split at `limit`', async () => {
    const ds = await load({ ...quickstart, limit: 50 });
    expect(ds.train).toHaveLength(50);
    expect(ds.eval).toHaveLength(50);
  });

  it('computes the alphabet over prompts, answers and responses of both splits', async () => {
    const ds = await load(quickstart);
    const chars = new Set(ds.train.concat(ds.eval).flatMap((e) => Array.from(e.prompt + e.answer + e.response)));
    expect(ds.alphabet).toBe([...chars].sort().join(''));
    expect(ds.alphabet).toContain('\n');
    expect(ds.alphabet).toContain('A');
  });

  it('rejects a template field the task does not have', async () => {
    const e = await failure(load({ ...quickstart, prompt: tpl('{problem}', 'problem') }));
    expect(e.message).toContain('no field "problem" (the prompt template uses {problem})');
  });

  it('works for sorting', async () => {
    const ds = await load({ ...quickstart, source: { kind: 'generated', task: 'sorting', params: { train_size: 30, eval_size: 5 } } });
    expect(ds.train[0]!.prompt).toMatch(/^sort( \d+)+\n$/);
  });
});

describe('JSONL datasets', () => {
  it('reads rows, skipping blank lines; numbers become strings', async () => {
    const ds = await load({});
    expect(ds.train).toHaveLength(10);
    expect(ds.eval).toEqual([]);
    expect(ds.train[0]).toEqual({ prompt: 'Q: What is 1+1?\n', answer: '2', origin: 'data/good.jsonl:1' });
    expect(ds.train[1]!.answer).toBe('5');
    expect(ds.train[2]!.origin).toBe('data/good.jsonl:4'); // line 3 is blank
    expect(ds.train[2]!.answer).toBe('\\frac{1}{2}');
  });

  it('names file:line and the template of a missing field', async () => {
    const e = await failure(load({ source: { kind: 'jsonl', path: 'data/missing-field.jsonl' } }));
    expect(e.message).toBe('data/missing-field.jsonl:12: missing field "answer" (the answer template uses {answer})');
  });

  it('names file:line of bad JSON and of a line that is not an object', async () => {
    expect((await failure(load({ source: { kind: 'jsonl', path: 'data/bad-json.jsonl' } }))).message).toMatch(/^data\/bad-json\.jsonl:3: not valid JSON \(.+\)$/);
    expect((await failure(load({ source: { kind: 'jsonl', path: 'data/not-object.jsonl' } }))).message).toBe('data/not-object.jsonl:2: expected a JSON object, got an array');
  });

  it('stops at the first bad line; skip mode counts every one', async () => {
    const e = await failure(load({ source: { kind: 'jsonl', path: 'data/not-object.jsonl' }, on_bad_row: 'error', limit: null, prompt: tpl('{problem}', 'problem'), answer: null, fields: ['answer'] }));
    // Line 2 (the array) comes first.
    expect(e.message).toContain(':2:');
    const skip = await load({ source: { kind: 'jsonl', path: 'data/not-object.jsonl' }, on_bad_row: 'skip' });
    expect(skip.skipped).toBe(2);
  });

  it('with on_bad_row = skip, counts and drops malformed rows', async () => {
    const ds = await load({ source: { kind: 'jsonl', path: 'data/missing-field.jsonl' }, on_bad_row: 'skip' });
    expect(ds.skipped).toBe(1);
    expect(ds.train).toHaveLength(13);
    expect(ds.train.map((e) => e.origin)).not.toContain('data/missing-field.jsonl:12');
    const bad = await load({ source: { kind: 'jsonl', path: 'data/bad-json.jsonl' }, on_bad_row: 'skip' });
    expect([bad.skipped, bad.train.length]).toEqual([1, 4]);
  });

  it('requires the fields listed in `fields`, saying so', async () => {
    const e = await failure(load({ fields: ['problem', 'id'] }));
    expect(e.message).toBe('data/good.jsonl:2: missing field "id" (listed in `fields`)');
  });

  it('applies limit to the rows read, before the holdout', async () => {
    const ds = await load({ limit: 4, holdout: 1 });
    expect(ds.train.length + ds.eval.length).toBe(4);
    expect(ds.eval).toHaveLength(1);
    // With `limit`, a malformed row past it is never read.
    expect((await load({ source: { kind: 'jsonl', path: 'data/missing-field.jsonl' }, limit: 11 })).train).toHaveLength(11);
  });

  it('holds out `holdout` rows chosen from the seed, both splits in file order', async () => {
    const a = await load({ holdout: 3 }, 1);
    expect(a.eval).toHaveLength(3);
    expect(a.train).toHaveLength(7);
    const line = (o: string) => Number(o.split(':')[1]);
    for (const split of [a.train, a.eval]) expect(split.map((e) => line(e.origin))).toEqual(split.map((e) => line(e.origin)).sort((x, y) => x - y));
    const trainSet = new Set(a.train.map((e) => e.origin));
    expect(a.eval.some((e) => trainSet.has(e.origin))).toBe(false);
    expect(await load({ holdout: 3 }, 1)).toEqual(a);
    // Some other seed picks other rows.
    const others = await Promise.all([2, 3, 4, 5].map((s) => load({ holdout: 3 }, s)));
    expect(others.some((o) => JSON.stringify(o.eval) !== JSON.stringify(a.eval))).toBe(true);
  });

  it('refuses a holdout that leaves no training rows', async () => {
    const e = await failure(load({ holdout: 10 }));
    expect(e.message).toContain('holdout = 10 rows leaves nothing to train on (data/good.jsonl has 10 usable rows)');
  });

  it('reports a missing JSONL or Parquet file', async () => {
    const e = await failure(load({ source: { kind: 'jsonl', path: 'data/nope.jsonl' } }));
    expect(e.message).toBe('cannot read data/nope.jsonl: no such file');
    expect(e.hint).toContain(path.join(baseDir, 'data/nope.jsonl'));
    const p = await failure(load({ source: { kind: 'parquet', path: 'data/x.parquet' } }));
    expect(p.message).toBe('cannot read data/x.parquet: no such file');
    expect(p.hint).toContain(path.join(baseDir, 'data/x.parquet'));
  });

  it('computes the alphabet sorted by code point', async () => {
    const ds = await load({});
    expect(ds.alphabet).toBe(alphabetOf([...ds.train, ...ds.eval]));
    expect(Array.from(ds.alphabet)).toEqual([...new Set(ds.alphabet)].sort());
    expect(ds.alphabet).toContain('{');
  });
});

describe('templates', () => {
  it('substitutes exactly the listed fields; other braces are literal', async () => {
    const ds = await load({ prompt: tpl("{problem} Let's think and answer within \\boxed{}. {answer}{x}", 'problem', 'answer') });
    expect(ds.train[0]!.prompt).toBe("What is 1+1? Let's think and answer within \\boxed{}. 2{x}");
    // A value containing `{answer}` is not substituted again.
    expect(ds.train[3]!.prompt.startsWith('Braces {answer} stay')).toBe(true);
  });

  it('fills a field used twice, and special characters in values', () => {
    expect(fillTemplate(tpl('{a}+{a}={b}', 'a', 'b'), { a: '$1', b: '$&' })).toBe('$1+$1=$&');
    expect(fillTemplate(tpl('no fields {a}'), { a: 'x' })).toBe('no fields {a}');
  });
});

describe('alphabetOf', () => {
  it('counts characters, not UTF-16 units', () => {
    expect(alphabetOf([{ prompt: 'b😀a', answer: 'é', origin: 'x' }])).toBe('abé😀');
  });
});
