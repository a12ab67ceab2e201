// Reading a JSON Lines file one line at a time. A malformed line stops the run with a message
// naming `file:line` and what is wrong, or, with `on_bad_row = skip`, is counted and dropped.
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { RunError } from '../types.js';

export interface JsonlOptions {
  /** The path as the pipeline wrote it, used in messages (`data/x.jsonl:12: ...`). */
  shown: string;
  /** Fields every row must have, each with the reason (`the prompt template uses {answer}`). */
  required: ReadonlyMap<string, string>;
  onBadRow: 'error' | 'skip';
  /** Stop after this many good rows. */
  limit?: number | null;
}

export interface JsonlRow {
  /** The row's string and number fields, numbers turned into strings for templates. */
  values: Record<string, string>;
  /** 1-based line number in the file. */
  line: number;
}

export async function readJsonl(file: string, o: JsonlOptions): Promise<{ rows: JsonlRow[]; skipped: number }> {
  try {
    await access(file);
  } catch {
    throw new RunError(`cannot read ${o.shown}: no such file`, `looked for ${file} (paths are relative to the pipeline file's folder)`, 'R0103');
  }
  const rows: JsonlRow[] = [];
  let skipped = 0;
  let line = 0;
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      const parsed = parseRow(text, o.required);
      if (typeof parsed === 'string') {
        if (o.onBadRow === 'error') throw new RunError(`${o.shown}:${line}: ${parsed}`, 'fix the line, or set `on_bad_row = skip` to count and skip malformed rows', 'R0104');
        skipped++;
        continue;
      }
      rows.push({ values: parsed, line });
      if (o.limit != null && rows.length >= o.limit) break;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return { rows, skipped };
}

/** The row's fields, or what is wrong with the line. */
function parseRow(text: string, required: ReadonlyMap<string, string>): Record<string, string> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`;
  }
  return rowValues(v, required);
}

/**
 * A row's string and number fields as strings for templates, or what is wrong with it (shared by
 * every file format). Numbers may arrive as bigint from Parquet's 64-bit integer columns.
 */
export function rowValues(v: unknown, required: ReadonlyMap<string, string>): Record<string, string> | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`}`;
  const obj = v as Record<string, unknown>;
  for (const [name, why] of required) {
    const x = obj[name];
    if (x === undefined) return `missing field "${name}" (${why})`;
    if (typeof x !== 'string' && typeof x !== 'bigint' && !(typeof x === 'number' && Number.isFinite(x))) return `field "${name}" is ${x === null ? 'null' : Array.isArray(x) ? 'an array' : `a ${typeof x}`}, expected a string or a number (${why})`;
  }
  const values: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj)) {
    if (typeof x === 'string') values[k] = x;
    else if (typeof x === 'number' || typeof x === 'bigint') values[k] = String(x);
  }
  return values;
}
