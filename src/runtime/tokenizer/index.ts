// Tokenizers by their saved form (tokenizer.json next to a checkpoint, or a model folder's).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '../types.js';
import { RunError } from '../types.js';
import { CharTokenizer } from './chars.js';
import { HfTokenizer, type ChatTemplateSetting, type HfTokenizerFiles } from './hf.js';

export { CharTokenizer, describeChar } from './chars.js';
export type { CharTokenizerJSON } from './chars.js';
export { encodePrompt, ChatTemplate } from './chat.js';
export { HfTokenizer } from './hf.js';
export type { ChatTemplateSetting, HfTokenizerFiles } from './hf.js';

export interface LoadTokenizerOptions {
  /** For a Hugging Face tokenizer: use its chat template (`auto`, the default) or not. */
  chatTemplate?: ChatTemplateSetting;
}

/** Whether `json` looks like a Hugging Face `tokenizers` file (tokenizer.json). */
function isHfTokenizer(j: Record<string, unknown>): boolean {
  const model = j['model'];
  return model !== null && typeof model === 'object' && ('vocab' in model || 'type' in model);
}

/**
 * Rebuilds a tokenizer from its JSON form, dispatching on its type. A Hugging Face tokenizer.json
 * may come with its tokenizer_config.json (parsed).
 */
export function loadTokenizer(json: unknown, opts: LoadTokenizerOptions & { config?: unknown } = {}): Tokenizer {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new RunError('tokenizer: expected a JSON object');
  const j = json as Record<string, unknown>;
  if (j['type'] === 'chars') return CharTokenizer.fromJSON(j);
  if (isHfTokenizer(j)) {
    const files: HfTokenizerFiles = { 'tokenizer.json': JSON.stringify(j) };
    if (opts.config !== undefined) files['tokenizer_config.json'] = JSON.stringify(opts.config);
    return new HfTokenizer(files, opts.chatTemplate ? { chatTemplate: opts.chatTemplate } : {});
  }
  throw new RunError(`tokenizer: unknown type ${JSON.stringify(j['type'] ?? null)}`, 'expected {"type": "chars", ...} or a Hugging Face tokenizer.json');
}

/**
 * Reads and loads a tokenizer.json; a Hugging Face one takes tokenizer_config.json and
 * chat_template.jinja from the same folder when they are there. Errors name the file.
 */
export function loadTokenizerFile(file: string, opts: LoadTokenizerOptions = {}): Tokenizer {
  const text = readText(file);
  if (text === undefined) throw new RunError(`${file}: no such file`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RunError(`${file}: cannot read the tokenizer: ${(e as Error).message}`);
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && isHfTokenizer(json as Record<string, unknown>)) {
    const dir = path.dirname(file);
    const files: HfTokenizerFiles = { 'tokenizer.json': text };
    for (const name of ['tokenizer_config.json', 'chat_template.jinja'] as const) {
      const t = readText(path.join(dir, name));
      if (t !== undefined) files[name] = t;
    }
    return new HfTokenizer(files, { dir, ...(opts.chatTemplate ? { chatTemplate: opts.chatTemplate } : {}) });
  }
  try {
    return loadTokenizer(json, opts);
  } catch (e) {
    if (e instanceof RunError) throw new RunError(`${file}: ${e.message}`, e.hint, e.code);
    throw e;
  }
}

/** A file's text, or undefined when there is no such file; other failures name the file. */
function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunError(`${file}: cannot read the file: ${(e as Error).message}`);
  }
}
