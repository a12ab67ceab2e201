// Parquet datasets: rows read through hyparquet, templates filled like JSONL rows, and a bad row
// named by file and row number (or skipped and counted).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import type { IRDataset } from '../../../src/ir/graph.js';
import { loadDataset } from '../../../src/runtime/data/dataset.js';
import { RunError } from '../../../src/runtime/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-parquet-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, columns: { name: string; data: unknown[] }[]): string {
  fs.writeFileSync(path.join(dir, name), Buffer.from(parquetWriteBuffer({ columnData: columns as never })));
  return name;
}

const node = (file: string, over: Partial<IRDataset> = {}): IRDataset => ({
  id: 'dataset.p', type: 'dataset', name: 'p', source: { kind: 'parquet', path: file },
  prompt: { text: '{problem} =', fields: ['problem'] }, answer: { text: '{answer}', fields: ['answer'] }, response: null,
  fields: null, holdout: 0, limit: null, shuffle: true, on_bad_row: 'error', on_long_prompt: 'error', ...over,
});

describe('parquet datasets', () => {
  it('reads rows and fills the templates (numbers become strings)', async () => {
    const f = write('ok.parquet', [
      { name: 'problem', data: ['1+1', '2*3', '9-4'] },
      { name: 'answer', data: [2, 6, 5] },
    ]);
    const ds = await loadDataset(node(f), { baseDir: dir, seed: 1 });
    expect(ds.train.map((e) => [e.prompt, e.answer, e.origin])).toEqual([
      ['1+1 =', '2', 'ok.parquet#1'],
      ['2*3 =', '6', 'ok.parquet#2'],
      ['9-4 =', '5', 'ok.parquet#3'],
    ]);
  });

  it('names the file and row of a row that lacks a field, or skips and counts it', async () => {
    const f = write('bad.parquet', [
      { name: 'problem', data: ['1+1', null, '9-4'] },
      { name: 'answer', data: ['2', '6', '5'] },
    ]);
    const err = await loadDataset(node(f), { baseDir: dir, seed: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as RunError).message).toBe('bad.parquet#2: field "problem" is null, expected a string or a number (the prompt template uses {problem})');
    const ds = await loadDataset(node(f, { on_bad_row: 'skip' }), { baseDir: dir, seed: 1 });
    expect(ds.skipped).toBe(1);
    expect(ds.train).toHaveLength(2);
  });

  it('a file that is not Parquet is a clear error', async () => {
    fs.writeFileSync(path.join(dir, 'fake.parquet'), 'not parquet at all');
    await expect(loadDataset(node('fake.parquet'), { baseDir: dir, seed: 1 })).rejects.toThrow(/fake\.parquet: not a readable Parquet file/);
    await expect(loadDataset(node('missing.parquet'), { baseDir: dir, seed: 1 })).rejects.toThrow(/cannot read missing\.parquet: no such file/);
  });
});
