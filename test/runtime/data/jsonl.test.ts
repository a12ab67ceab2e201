// readJsonl on its own: line numbers, what is wrong with a line, skip mode, limit, CRLF and BOM.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../../../src/runtime/data/jsonl.js';
import { RunError } from '../../../src/runtime/types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'siric-jsonl-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const required = new Map([
  ['q', 'the prompt template uses {q}'],
  ['a', 'the answer template uses {a}'],
]);

async function message(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RunError);
  return (e as RunError).message;
}

describe('readJsonl', () => {
  it('says what is wrong with a field, naming file:line', async () => {
    const f = file('fields.jsonl', '{"q": "x", "a": 1}\n{"q": "y", "a": null}\n{"q": ["z"], "a": 2}\n');
    expect(await message(readJsonl(f, { shown: 'f.jsonl', required, onBadRow: 'error' }))).toBe('f.jsonl:2: field "a" is null, expected a string or a number (the answer template uses {a})');
    const r = await readJsonl(f, { shown: 'f.jsonl', required, onBadRow: 'skip' });
    expect(r.skipped).toBe(2);
    expect(r.rows).toEqual([{ values: { q: 'x', a: '1' }, line: 1 }]);
  });

  it('names a line that is a string, a number or null', async () => {
    const f = file('scalars.jsonl', '"text"\n');
    expect(await message(readJsonl(f, { shown: 's.jsonl', required, onBadRow: 'error' }))).toBe('s.jsonl:1: expected a JSON object, got a string');
    expect(await message(readJsonl(file('null.jsonl', '\n\nnull\n'), { shown: 'n.jsonl', required, onBadRow: 'error' }))).toBe('n.jsonl:3: expected a JSON object, got null');
  });

  it('handles CRLF line ends, a byte-order mark, and whitespace-only lines', async () => {
    const f = file('crlf.jsonl', '\uFEFF{"q": "x", "a": "1"}\r\n   \r\n{"q": "y", "a": 2.5}\r\n');
    const r = await readJsonl(f, { shown: 'c.jsonl', required, onBadRow: 'error' });
    expect(r.rows).toEqual([
      { values: { q: 'x', a: '1' }, line: 1 },
      { values: { q: 'y', a: '2.5' }, line: 3 },
    ]);
  });

  it('stops after `limit` good rows', async () => {
    const f = file('limit.jsonl', '{"q": "1", "a": "1"}\n{"q": "2", "a": "2"}\n{"bad": true}\n');
    const r = await readJsonl(f, { shown: 'l.jsonl', required, onBadRow: 'error', limit: 2 });
    expect(r.rows.map((x) => x.line)).toEqual([1, 2]);
  });

  it('keeps only string and number fields', async () => {
    const f = file('types.jsonl', '{"q": "x", "a": "y", "b": true, "c": {"d": 1}, "n": 3}\n');
    expect((await readJsonl(f, { shown: 't.jsonl', required, onBadRow: 'error' })).rows[0]!.values).toEqual({ q: 'x', a: 'y', n: '3' });
  });
});
