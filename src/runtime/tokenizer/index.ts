// Tokenizers by their saved form (tokenizer.json next to a checkpoint, or a model folder's).

import * as fs from 'node:fs';
import type { Tokenizer } from '../types.js';
import { RunError } from '../types.js';
import { CharTokenizer } from './chars.js';

export { CharTokenizer, describeChar } from './chars.js';
export type { CharTokenizerJSON } from './chars.js';

/** Whether `json` looks like a Hugging Face `tokenizers` file (tokenizer.json). */
function isHfTokenizer(j: Record<string, unknown>): boolean {
  const model = j['model'];
  return model !== null && typeof model === 'object' && ('vocab' in model || 'type' in model);
}

/** Rebuilds a tokenizer from its JSON form, dispatching on its type. */
export function loadTokenizer(json: unknown): Tokenizer {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new RunError('tokenizer: expected a JSON object');
  const j = json as Record<string, unknown>;
  if (j['type'] === 'chars') return CharTokenizer.fromJSON(j);
  if (isHfTokenizer(j)) throw new RunError('hf tokenizers are not supported yet', 'use `tokenizer = chars` with a `scratch(...)` model for now');
  throw new RunError(`tokenizer: unknown type ${JSON.stringify(j['type'] ?? null)}`, 'expected {"type": "chars", ...} or a Hugging Face tokenizer.json');
}

/** Reads and loads a tokenizer.json; errors name the file. */
export function loadTokenizerFile(file: string): Tokenizer {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read the tokenizer: ${(e as Error).message}`);
  }
  try {
    return loadTokenizer(json);
  } catch (e) {
    if (e instanceof RunError) throw new RunError(`${file}: ${e.message}`, e.hint);
    throw e;
  }
}
