// Reading a Parquet file (hyparquet: pure JavaScript, no native code). Rows are checked like JSON
// Lines rows; a bad one names the file and its 1-based row number (`data/x.parquet#12`).
import { access } from 'node:fs/promises';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { RunError } from '../types.js';
import { rowValues, type JsonlOptions, type JsonlRow } from './jsonl.js';

export async function readParquet(file: string, o: JsonlOptions): Promise<{ rows: JsonlRow[]; skipped: number }> {
  try {
    await access(file);
  } catch {
    throw new RunError(`cannot read ${o.shown}: no such file`, `looked for ${file} (paths are relative to the pipeline file's folder)`, 'R0103');
  }
  let objects: Record<string, unknown>[];
  try {
    objects = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Record<string, unknown>[];
  } catch (e) {
    throw new RunError(`${o.shown}: not a readable Parquet file (${(e as Error).message})`, 'check the path, or convert the file to JSON Lines', 'R0103');
  }
  const rows: JsonlRow[] = [];
  let skipped = 0;
  for (let i = 0; i < objects.length; i++) {
    const parsed = rowValues(objects[i], o.required);
    if (typeof parsed === 'string') {
      if (o.onBadRow === 'error') throw new RunError(`${o.shown}#${i + 1}: ${parsed}`, 'fix the row, or set `on_bad_row = skip` to count and skip malformed rows', 'R0104');
      skipped++;
      continue;
    }
    // `line` is the 1-based row number for Parquet.
    rows.push({ values: parsed, line: i + 1 });
    if (o.limit != null && rows.length >= o.limit) break;
  }
  return { rows, skipped };
}
