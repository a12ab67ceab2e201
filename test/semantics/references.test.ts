// The files a pipeline names, as `check` reads them: only the head of a data file (a Parquet
// file's footer), a model folder's config.json and the names of its files; reward modules are
// never imported.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../src/compiler.js';
import { nodeHost } from '../../src/semantics/loader.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-refs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const put = (rel: string, data: string | Uint8Array): void => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), data);
};

function check(body: string, opts: { readFiles?: boolean; mode?: 'check' | 'compile' } = {}) {
  const text = `import "std/presets"\nimport "std/rewards"\npipeline p { seed = 1 }\n${body}`;
  put('main.siri', text);
  const out = compileFile('main.siri', { mode: opts.mode ?? 'check', readFiles: opts.readFiles ?? true, host: { ...nodeHost, cwd: dir } });
  return { text, diagnostics: out.diagnostics, codes: out.diagnostics.map((d) => d.code) };
}

const SCRATCH = 'model policy { source = scratch(layers = 1, d_model = 32, heads = 2, context = 256 tokens) }\n';
const stage = (data: string, rewards = 'rewards.final_answer'): string => `train rl = presets.dapo with { policy = policy  data = ${data}  rewards = [${rewards}]  max_tokens = 64 tokens  steps = 2 steps }\n`;
const dataset = (source: string, extra = ''): string => `dataset ds {\n  source = ${source}\n  prompt = "{problem}"\n  answer = "{answer}"\n${extra}}\n`;

describe('data files', () => {
  it('a Parquet file: its columns from the footer; a template field that is not a column is an error on the placeholder', () => {
    put('p.parquet', Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'question', data: ['1+1'] }, { name: 'answer', data: ['2'] }] as never })));
    const r = check(SCRATCH + dataset('parquet("p.parquet")') + stage('ds'));
    expect(r.codes).toEqual(['E0503']);
    expect(r.diagnostics[0]!.message).toContain('no column `problem`');
    expect(r.diagnostics[0]!.help).toContain('question, answer');
    const line = r.text.split('\n').findIndex((l) => l.includes('"{problem}"'));
    expect(r.diagnostics[0]!.span!.start).toMatchObject({ line: line + 1, column: r.text.split('\n')[line]!.indexOf('{problem}') + 1 });
  });

  it('a file that is not Parquet is unreadable', () => {
    put('fake.parquet', '{"problem": "1"}\n');
    expect(check(SCRATCH + dataset('parquet("fake.parquet")') + stage('ds')).codes).toEqual(['E0502']);
  });

  it('JSON Lines: malformed rows are errors unless on_bad_row = skip; `fields` are checked on the list item', () => {
    put('rows.jsonl', '{"problem": "1+1", "answer": "2"}\nnot json\n{"problem": "2+2", "answer": "4"}\n');
    expect(check(SCRATCH + dataset('jsonl("rows.jsonl")') + stage('ds')).codes).toEqual(['E0502']);
    expect(check(SCRATCH + dataset('jsonl("rows.jsonl")', '  on_bad_row = skip\n') + stage('ds')).codes).toEqual([]);
    const r = check(SCRATCH + dataset('jsonl("rows.jsonl")', '  on_bad_row = skip\n  fields = ["problem", "answer", "level"]\n') + stage('ds'));
    expect(r.codes).toEqual(['E0503']);
    expect(r.diagnostics[0]!.message).toContain('`rows.jsonl:1`');
    const line = r.text.split('\n').findIndex((l) => l.includes('"level"'));
    expect(r.diagnostics[0]!.span!.start).toMatchObject({ line: line + 1, column: r.text.split('\n')[line]!.indexOf('"level"') + 1 });
  });

  it('a data file that changes is read again (a long-lived host keeps the head only while size and mtime hold)', () => {
    put('changing.jsonl', '{"problem": "1+1", "answer": "2"}\n');
    expect(check(SCRATCH + dataset('jsonl("changing.jsonl")') + stage('ds')).codes).toEqual([]);
    put('changing.jsonl', '{"problem": "1+1"}\n');
    expect(check(SCRATCH + dataset('jsonl("changing.jsonl")') + stage('ds')).codes).toEqual(['E0503']);
  });

  it('only the head of a large file is read', () => {
    const row = '{"problem": "1+1", "answer": "2"}\n';
    put('big.jsonl', row.repeat(20_000) + '{"broken\n');
    expect(check(SCRATCH + dataset('jsonl("big.jsonl")') + stage('ds')).codes).toEqual([]);
  });
});

describe('model folders and reward modules', () => {
  const config = JSON.stringify({ model_type: 'qwen2', hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 1, intermediate_size: 128, vocab_size: 300, max_position_embeddings: 512, eos_token_id: 2 });
  const MATH = 'dataset math { source = generated("arithmetic")  prompt = "{question}"  answer = "{answer}" }\n';

  it('a complete folder passes; without tokenizer.json (and tokenizer = auto) it is an error', () => {
    put('m/config.json', config);
    put('m/model.safetensors', '');
    put('m/tokenizer.json', '{}');
    expect(check('model policy { source = hf("m") }\n' + MATH + stage('math')).codes).toEqual([]);
    fs.rmSync(path.join(dir, 'm/tokenizer.json'));
    expect(check('model policy { source = hf("m") }\n' + MATH + stage('math')).codes).toEqual(['E0507']);
    expect(check('model policy { source = hf("m")  tokenizer = chars }\n' + MATH + stage('math')).codes).toEqual([]);
  });

  it('a reward module is looked for, never imported', () => {
    put('reward.mjs', `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(path.join(dir, 'imported'))}, 'yes');\nexport default () => 1;\n`);
    const r = check(SCRATCH + MATH + 'reward mine { kind = custom  module = "reward.mjs" }\n' + stage('math', 'mine'));
    expect(r.codes).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'imported'))).toBe(false);
  });

  it('compile does not read them', () => {
    const src = 'model policy { source = hf("nowhere") }\n' + dataset('jsonl("nothing.jsonl")') + stage('ds');
    expect(check(src, { mode: 'compile', readFiles: false }).codes).toEqual([]);
    expect(check(src).codes).toEqual(['E0504', 'E0501']);
  });
});
