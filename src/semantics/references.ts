// The files a pipeline names: data files (their first rows, or a Parquet file's column list), model
// folders (config.json, weights), tokenizers and reward modules. Only read, never executed: a
// reward module is checked for existence and extension, not imported. Paths are relative to the
// pipeline file's folder, as the runtime resolves them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetMetadata, parquetSchema } from 'hyparquet';
import type { Span } from '../ast/ast.js';
import { diag, type Code, type Diagnostic } from '../diagnostics/messages.js';
import { readHfConfig } from '../runtime/model/hf-config.js';
import { rowValues } from '../runtime/data/jsonl.js';
import type { Checked, Settings } from './check.js';
import { spanOf } from './rules.js';
import { toUserSite } from './site.js';
import type { Json } from './types.js';
import type { Instance, Value } from './values.js';

/** How much of a JSON Lines file is read: enough for the first rows, never the whole file. */
const JSONL_HEAD_BYTES = 256 * 1024;
const JSONL_HEAD_ROWS = 20;
/** Extensions Node imports as JavaScript (a `.ts` module needs a loader the runtime lacks). */
// What `run` loads: JavaScript as it is, TypeScript through esbuild (runtime/rewards/custom.ts).
const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

interface Where {
  baseDir: string;
  /** The working directory, for showing resolved paths short and portable. */
  cwd: string;
}

export function checkReferences(checked: ReadonlyMap<string, Checked>, where: Where, out: Diagnostic[]): void {
  for (const c of checked.values()) {
    const mark = out.length;
    if (c.inst.kind === 'dataset') dataFile(c, where, out);
    if (c.inst.kind === 'model') modelFolder(c, where, out);
    if (c.inst.kind === 'reward' && c.settings['kind'] === 'custom') rewardModule(c, where, out);
    toUserSite(c.inst, out, mark);
  }
}

/** The string literal of `key(path)` (or `key("...")`'s first argument), for the span. */
function pathSpan(inst: Instance, key: string): Span {
  const v = inst.entries.get(key)?.value;
  if (v?.t !== 'call') return spanOf(inst, key);
  const arg = v.args.find((a) => a.name?.name === 'path') ?? v.args.find((a) => !a.name);
  return arg?.value.span ?? v.span;
}

function located(file: string, where: Where): string {
  return `looked for ${path.relative(where.cwd, file) || '.'} (paths are relative to the pipeline file's folder)`;
}

function kindOf(abs: string): 'file' | 'folder' | 'missing' {
  try {
    return fs.statSync(abs).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'missing';
  }
}

// ---- data ----

interface Need {
  field: string;
  why: string;
  span: Span;
}

/** Each field the dataset's rows must have, with the span of the placeholder or list item. */
function neededFields(inst: Instance, s: Settings): Need[] {
  const need: Need[] = [];
  const seen = new Set<string>();
  for (const key of ['prompt', 'answer', 'response']) {
    const v = inst.entries.get(key)?.value;
    if (v?.t !== 'str') continue;
    for (const part of v.parts) {
      if (!('field' in part) || seen.has(part.field)) continue;
      seen.add(part.field);
      need.push({ field: part.field, why: `the ${key} template uses \`{${part.field}}\``, span: part.span });
    }
  }
  const list = inst.entries.get('fields')?.value;
  ((s['fields'] as string[] | undefined) ?? []).forEach((f, i) => {
    if (seen.has(f)) return;
    seen.add(f);
    const item: Value | undefined = list?.t === 'list' ? list.items[i] : undefined;
    need.push({ field: f, why: 'it is listed in `fields`', span: item?.span ?? spanOf(inst, 'fields') });
  });
  return need;
}

function dataFile({ inst, settings: s }: Checked, where: Where, out: Diagnostic[]): void {
  const src = s['source'] as Settings;
  if (src['fn'] !== 'jsonl' && src['fn'] !== 'parquet') return;
  const shown = src['path'] as string;
  const abs = path.resolve(where.baseDir, shown);
  const span = pathSpan(inst, 'source');
  const kind = kindOf(abs);
  if (kind !== 'file') {
    out.push(diag('E0501', span, `the data file \`${shown}\` of the dataset \`${inst.name}\` ${kind === 'folder' ? 'is a folder' : 'does not exist'}`, { label: kind === 'folder' ? 'not a file' : 'no such file', help: located(abs, where) }));
    return;
  }
  const need = neededFields(inst, s);
  if (src['fn'] === 'parquet') return parquetColumns(shown, abs, span, need, out);
  const rows = jsonlHead(abs);
  if (typeof rows === 'string') {
    out.push(diag('E0502', span, `cannot read the data file \`${shown}\`: ${rows}`, { label: 'unreadable', help: 'check the file and its permissions' }));
    return;
  }
  const skip = s['on_bad_row'] === 'skip';
  const good: { line: number; obj: Record<string, unknown> }[] = [];
  for (const r of rows) {
    const values = r.error === undefined ? rowValues(r.obj, new Map()) : r.error;
    const problem = typeof values === 'string' ? values : undefined;
    if (problem === undefined) good.push({ line: r.line, obj: r.obj as Record<string, unknown> });
    else if (!skip) {
      out.push(diag('E0502', span, `\`${shown}:${r.line}\`: ${problem}`, { label: 'a malformed row', help: 'fix the line, or set `on_bad_row = skip` to count and skip malformed rows' }));
      return;
    }
  }
  if (rows.length === 0) {
    out.push(diag('E0502', span, `the data file \`${shown}\` has no rows`, { label: 'empty', help: 'a JSON Lines file holds one JSON object per line' }));
    return;
  }
  for (const n of need) {
    const lacking = good.find((r) => r.obj[n.field] === undefined);
    if (!lacking) continue;
    const have = Object.keys(lacking.obj);
    out.push(diag('E0503', n.span, `the row at \`${shown}:${lacking.line}\` has no field \`${n.field}\`, but ${n.why}`, { label: 'missing in the data', help: have.length ? `that row's fields are: ${have.join(', ')}` : 'add the field to every row' }));
  }
}

interface HeadRow {
  line: number;
  obj?: unknown;
  error?: string;
}

/**
 * The first rows of each JSON Lines file read, while its size and mtime stay the same: a long-lived
 * host (the language server checks on every edit) reads a data file again only when it changes.
 */
const headCache = new Map<string, { key: string; rows: HeadRow[] | string }>();
const HEAD_CACHE_FILES = 4096;

/** The first rows of a JSON Lines file (a bounded read), or why it cannot be read. */
function jsonlHead(abs: string): HeadRow[] | string {
  let key: string | undefined;
  try {
    const st = fs.statSync(abs);
    key = `${st.size}:${st.mtimeMs}`;
  } catch {
    key = undefined;
  }
  const hit = key === undefined ? undefined : headCache.get(abs);
  if (hit && hit.key === key) return hit.rows;
  const rows = readJsonlHead(abs);
  if (key !== undefined) {
    if (headCache.size >= HEAD_CACHE_FILES) headCache.clear();
    headCache.set(abs, { key, rows });
  }
  return rows;
}

function readJsonlHead(abs: string): HeadRow[] | string {
  let text: string;
  try {
    const fd = fs.openSync(abs, 'r');
    try {
      const buf = Buffer.alloc(Math.min(JSONL_HEAD_BYTES, fs.fstatSync(fd).size));
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      text = buf.subarray(0, n).toString('utf8');
      // A full buffer may end inside a row: keep only complete lines.
      if (n === JSONL_HEAD_BYTES) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message;
  }
  const rows: HeadRow[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length && rows.length < JSONL_HEAD_ROWS; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    try {
      rows.push({ line: i + 1, obj: JSON.parse(raw) as unknown });
    } catch {
      // Node's own parse messages differ between versions: the line number is what helps.
      rows.push({ line: i + 1, error: 'not valid JSON' });
    }
  }
  return rows;
}

/** A Parquet file's columns, from its footer alone (no row is decoded). */
function parquetColumns(shown: string, abs: string, span: Span, need: Need[], out: Diagnostic[]): void {
  let columns: string[];
  try {
    const fd = fs.openSync(abs, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const tail = Buffer.alloc(8);
      if (size < 12 || fs.readSync(fd, tail, 0, 8, size - 8) !== 8 || tail.toString('latin1', 4) !== 'PAR1') throw new Error('not a Parquet file (no PAR1 footer)');
      const footer = tail.readUInt32LE(0) + 8;
      if (footer > size) throw new Error('truncated Parquet footer');
      const buf = Buffer.alloc(footer);
      fs.readSync(fd, buf, 0, footer, size - footer);
      const meta = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + footer) as ArrayBuffer);
      columns = parquetSchema(meta).children.map((c) => c.element.name);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    out.push(diag('E0502', span, `cannot read the data file \`${shown}\`: ${(e as Error).message}`, { label: 'unreadable', help: 'the file must be a Parquet file (or use `jsonl("...")` for JSON Lines)' }));
    return;
  }
  for (const n of need) {
    if (columns.includes(n.field)) continue;
    out.push(diag('E0503', n.span, `the data file \`${shown}\` has no column \`${n.field}\`, but ${n.why}`, { label: 'missing in the data', help: `its columns are: ${columns.join(', ') || 'none'}` }));
  }
}

// ---- models and tokenizers ----

function modelFolder({ inst, settings: s }: Checked, where: Where, out: Diagnostic[]): void {
  const src = s['source'] as Settings;
  const tok = s['tokenizer'] as Json;
  if (src['fn'] === 'hf') {
    const shown = src['path'] as string;
    const abs = path.resolve(where.baseDir, shown);
    const span = pathSpan(inst, 'source');
    const kind = kindOf(abs);
    if (kind !== 'folder') {
      out.push(diag('E0504', span, `the model folder \`${shown}\` of \`${inst.name}\` ${kind === 'file' ? 'is a file' : 'does not exist'}`, { label: kind === 'file' ? 'not a folder' : 'no such folder', help: `${located(abs, where)}; a Hugging Face folder holds config.json, model.safetensors and tokenizer.json` }));
      return;
    }
    const fail = (code: Code, message: string, help: string): void => void out.push(diag(code, span, message, { label: 'in this folder', help }));
    try {
      readHfConfig(abs);
    } catch (e) {
      const hint = (e as { hint?: string }).hint;
      fail('E0505', (e as Error).message.split(abs).join(shown), hint ?? 'siric reads config.json of Llama and Qwen2 models (see docs/real-models.md)');
    }
    if (!fs.existsSync(path.join(abs, 'model.safetensors')) && !fs.existsSync(path.join(abs, 'model.safetensors.index.json'))) {
      fail('E0506', `the model folder \`${shown}\` has no model.safetensors (or model.safetensors.index.json)`, 'save the model with `save_pretrained(..., safe_serialization=True)`; siric reads only safetensors weights');
    }
    if (tok === 'auto' && !fs.existsSync(path.join(abs, 'tokenizer.json'))) {
      fail('E0507', `the model folder \`${shown}\` has no tokenizer.json`, 'save the tokenizer next to the model (`tokenizer.save_pretrained(...)`), or name one: `tokenizer = hf("path/to/tokenizer")`');
    }
  }
  if (tok && typeof tok === 'object' && !Array.isArray(tok) && tok['fn'] === 'hf') {
    const shown = tok['path'] as string;
    const abs = path.resolve(where.baseDir, shown);
    if (!fs.existsSync(path.join(abs, 'tokenizer.json'))) {
      out.push(diag('E0507', pathSpan(inst, 'tokenizer'), `the tokenizer folder \`${shown}\` of \`${inst.name}\` has no tokenizer.json`, { label: kindOf(abs) === 'missing' ? 'no such folder' : 'no tokenizer.json here', help: located(path.join(abs, 'tokenizer.json'), where) }));
    }
  }
}

// ---- reward modules ----

function rewardModule({ inst, settings: s }: Checked, where: Where, out: Diagnostic[]): void {
  pythonModule({ inst, settings: s } as Checked, where, out);
  const shown = s['module'] as string;
  const abs = path.resolve(where.baseDir, shown);
  const span = spanOf(inst, 'module');
  const kind = kindOf(abs);
  if (kind !== 'file') {
    out.push(diag('E0508', span, `the reward module \`${shown}\` of \`${inst.name}\` ${kind === 'folder' ? 'is a folder' : 'does not exist'}`, { label: kind === 'folder' ? 'not a file' : 'no such file', help: located(abs, where) }));
    return;
  }
  const ext = path.extname(abs);
  if (!MODULE_EXTENSIONS.includes(ext)) {
    out.push(diag('E0509', span, `the reward module \`${shown}\` is not a JavaScript module`, { label: ext ? `a \`${ext}\` file` : 'no extension', help: `\`run\` imports ${MODULE_EXTENSIONS.join(', ')} files` }));
  }
}

/** A custom reward's `python_module` (for the verl target) must be a `.py` file; it is read, never run. */
function pythonModule({ inst, settings: s }: Checked, where: Where, out: Diagnostic[]): void {
  const shown = s['python_module'];
  if (typeof shown !== 'string') return;
  const abs = path.resolve(where.baseDir, shown);
  const kind = kindOf(abs);
  const span = spanOf(inst, 'python_module');
  if (kind !== 'file') {
    out.push(diag('E0508', span, `the Python module \`${shown}\` of \`${inst.name}\` ${kind === 'folder' ? 'is a folder' : 'does not exist'}`, { label: kind === 'folder' ? 'not a file' : 'no such file', help: located(abs, where) }));
  } else if (path.extname(abs) !== '.py') {
    out.push(diag('E0509', span, `the Python module \`${shown}\` is not a \`.py\` file`, { label: `a \`${path.extname(abs) || 'extensionless'}\` file`, help: 'the verl job imports it with Python: give a `.py` file' }));
  }
}
