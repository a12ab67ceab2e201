// The `siric` command end to end: the real binary (bin/siric.js → dist/), spawned as a user would.
// Needs a build (`npm run build`, which `npm test` does first).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IRSchema } from '../../src/ir/graph.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const BIN = path.join(ROOT, 'bin', 'siric.js');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.siri')).sort().map((f) => `examples/${f}`);
const STDLIB = fs.readdirSync(path.join(ROOT, 'stdlib', 'std')).filter((f) => f.endsWith('.siri')).sort().map((f) => `stdlib/std/${f}`);
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1' };
delete ENV['FORCE_COLOR'];
delete ENV['SIRIC_DEBUG'];

function siric(args: string[], opts: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: ENV, encoding: 'utf8', input: opts.input ?? '', timeout: 30_000 });
  if (r.error) throw r.error;
  return r;
}

/** No JavaScript stack trace and no "internal error" banner, whatever the exit code. */
function expectNoCrash(r: SpawnSyncReturns<string>): void {
  expect(r.stderr).not.toMatch(/^ {4}at /m);
  expect(r.stderr).not.toContain('siric failed unexpectedly');
  expect(r.signal).toBeNull();
}

// The checked-in schema when there is one (what consumers of the IR read), else the TypeBox source.
const SCHEMA_FILE = path.join(ROOT, 'src', 'ir', 'schema.json');
const schema: object = fs.existsSync(SCHEMA_FILE) ? (JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as object) : IRSchema;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

let tmp: string;
/** A copy of examples/ with stand-ins for the files the real-model examples ask the user for. */
let provided: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-cli-'));
  provided = path.join(tmp, 'provided');
  const ex = path.join(provided, 'examples');
  fs.mkdirSync(path.join(ex, 'models', 'DeepSeek-R1-Distill-Qwen-1.5B'), { recursive: true });
  fs.mkdirSync(path.join(ex, 'data'));
  for (const f of EXAMPLES) fs.copyFileSync(path.join(ROOT, f), path.join(provided, f));
  const model = path.join(ex, 'models', 'DeepSeek-R1-Distill-Qwen-1.5B');
  fs.writeFileSync(path.join(model, 'config.json'), JSON.stringify({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 1536, num_attention_heads: 12, num_key_value_heads: 2, num_hidden_layers: 28, intermediate_size: 8960, vocab_size: 151936, max_position_embeddings: 131072, bos_token_id: 151646, eos_token_id: 151643, tie_word_embeddings: false, torch_dtype: 'bfloat16' }));
  fs.writeFileSync(path.join(model, 'model.safetensors'), ''); // check looks for the file; it does not load weights
  fs.writeFileSync(path.join(model, 'tokenizer.json'), '{}');
  for (const d of ['deepscaler', 'aime24']) fs.writeFileSync(path.join(ex, 'data', `${d}.jsonl`), '{"problem": "What is 1 + 1?", "answer": "2"}\n');
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface IRLike {
  nodes: { id: string; type: string; name: string; optimizer?: { lr: number } }[];
  overrides: { path: string; value: string }[];
}

describe('siric: help, version, usage errors', () => {
  it('--version and -v print the version from package.json', () => {
    for (const flag of ['--version', '-v']) {
      const r = siric([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(PKG.version);
    }
  });

  it('--help, no arguments and `compile --help` print usage and exit 0', () => {
    const help = siric(['--help']);
    expect(help.status).toBe(0);
    for (const cmd of ['check', 'compile', 'plan', 'fmt', 'run']) expect(help.stdout).toContain(cmd);
    const bare = siric([]);
    expect(bare.status).toBe(0);
    expect(bare.stdout).toContain('Usage: siric');
    const sub = siric(['compile', '--help']);
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain('Usage: siric compile');
    expect(sub.stdout).toContain('--emit');
  });

  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['chekc', 'examples/quickstart.siri'], /unknown command 'chekc'[^]*check/],
    [['check'], /missing required argument/],
    [['compile'], /missing required argument/],
    [['compile', 'examples/quickstart.siri', '--emit', 'png'], /png/],
    [['plan', 'examples/quickstart.siri', '--width', 'wide'], /positive whole number/],
    [['check', '--no-such-flag', 'examples/quickstart.siri'], /unknown option/],
  ])('siric %j is a usage error: exit 2, a message, no stack trace', (args, message) => {
    const r = siric(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expectNoCrash(r);
  });
});

describe('siric check', () => {
  it.each([...EXAMPLES, ...STDLIB])('%s checks clean (exit 0) once its files are there', (f) => {
    const r = siric(['check', f.startsWith('stdlib/') ? path.join(ROOT, f) : f], { cwd: provided });
    expectNoCrash(r);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${f.startsWith('stdlib/') ? path.join(ROOT, f) : f}: ok\n`);
  });

  it('a data file, model folder and reward module that are missing: exit 1 from check and run, each error on its path; compile and plan (a preview) do not read them', () => {
    const dir = path.join(tmp, 'missing');
    fs.mkdirSync(dir, { recursive: true });
    const text = [
      'import "std/presets"',
      'pipeline p { seed = 1 }',
      'model policy { source = hf("models/none") }',
      'dataset math {',
      '  source = jsonl("data/none.jsonl")',
      '  prompt = "{q}"',
      '  answer = "{a}"',
      '}',
      'reward score {',
      '  kind = custom',
      '  module = "rewards/none.mjs"',
      '}',
      'train rl = presets.dapo with { policy = policy  data = math  rewards = [score]  max_tokens = 64 tokens  steps = 2 steps }',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'pipeline.siri'), text);
    const at = (literal: string): string => {
      const lines = text.split('\n');
      const line = lines.findIndex((l) => l.includes(literal));
      return `pipeline.siri:${line + 1}:${lines[line]!.indexOf(literal) + 1}`;
    };
    const expected = [
      ['E0504', at('"models/none"')],
      ['E0501', at('"data/none.jsonl"')],
      ['E0508', at('"rewards/none.mjs"')],
    ];
    for (const cmd of ['check', 'run']) {
      const r = siric([cmd, 'pipeline.siri'], { cwd: dir });
      expectNoCrash(r);
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(1);
      for (const [code, where] of expected) expect(r.stderr, cmd).toMatch(new RegExp(`error\\[${code}\\]: [^\\n]*\\n\\s*--> ${where}\\n`));
    }
    for (const cmd of ['compile', 'plan']) {
      const r = siric([cmd, 'pipeline.siri'], { cwd: dir });
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
    }
  });

  it('checks several files at once', () => {
    const r = siric(['check', ...EXAMPLES, ...STDLIB.map((f) => path.join(ROOT, f))], { cwd: provided });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(EXAMPLES.length + STDLIB.length);
  });

  it('--json on a bad file: valid JSON, valid: false, diagnostics with ranges; exit 1', () => {
    const bad = path.join(tmp, 'bad.siri');
    fs.writeFileSync(bad, 'import "std/presets"\npipeline p { seed = 1 }\nmodel m {\n  source = scratch(layers = 1, d_model = 8, heads = 1)\n  dtyp = bfloat16\n}\n');
    const r = siric(['check', '--json', bad]);
    expectNoCrash(r);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as { valid: boolean; error_count: number; diagnostics: { severity: string; code: string; summary: string; range?: { filename: string; start: { line: number; column: number; byte: number }; end: { line: number; column: number; byte: number } } }[] };
    expect(j.valid).toBe(false);
    expect(j.error_count).toBeGreaterThan(0);
    const d = j.diagnostics.find((x) => x.code === 'E0301');
    expect(d, JSON.stringify(j.diagnostics)).toBeDefined();
    expect(d!.severity).toBe('error');
    expect(d!.summary).toContain('dtyp');
    expect(d!.range).toBeDefined();
    expect(d!.range!.start).toMatchObject({ line: 5, column: 3 });
    expect(d!.range!.end).toMatchObject({ line: 5, column: 7 });
    expect(d!.range!.filename).toMatch(/bad\.siri$/);
  });

  it('--json on a clean file: valid: true, exit 0', () => {
    const r = siric(['check', '--json', 'examples/quickstart.siri']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, error_count: 0 });
  });

  it('a missing file: exit 1, a short error naming it, no stack trace', () => {
    const r = siric(['check', 'no/such/file.siri']);
    expectNoCrash(r);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const first = r.stderr.split('\n')[0]!;
    expect(first).toMatch(/^error\[E0901\]: .*no\/such\/file\.siri/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(5);
  });

  it('a missing file for compile and plan too', () => {
    for (const cmd of ['compile', 'plan']) {
      const r = siric([cmd, 'nope.siri']);
      expectNoCrash(r);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error\[E0901\]: .*nope\.siri/);
    }
  });

  it('a directory instead of a file: exit 1, no stack trace', () => {
    const r = siric(['check', 'examples']);
    expectNoCrash(r);
    expect(r.status).toBe(1);
  });
});

describe('siric compile', () => {
  it.each(EXAMPLES)('%s: deterministic, portable, schema-valid IR', (f) => {
    const a = siric(['compile', f]);
    expectNoCrash(a);
    expect(a.status, a.stderr).toBe(0);
    const b = siric(['compile', f]);
    expect(b.stdout).toBe(a.stdout);
    // No absolute paths: not the repository's, not the temp folder's, not the home folder's.
    expect(a.stdout).not.toContain(ROOT);
    expect(a.stdout).not.toContain('/tmp');
    expect(a.stdout).not.toContain(os.tmpdir());
    expect(a.stdout).not.toContain(os.homedir());
    const ir = JSON.parse(a.stdout) as IRLike;
    expect(validate(ir), JSON.stringify(validate.errors)).toBe(true);
    // From another working directory, the same bytes.
    const c = siric(['compile', path.basename(f)], { cwd: path.join(ROOT, 'examples') });
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toBe(a.stdout);
  });

  it('a copy of an example elsewhere compiles to the same IR', () => {
    // The IR records paths relative to the entry file, so moving the folder changes nothing.
    const f = 'examples/siri-1.5b-low.siri';
    const copy = path.join(tmp, path.basename(f));
    fs.copyFileSync(path.join(ROOT, f), copy);
    const a = siric(['compile', f]);
    const b = siric(['compile', copy]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('--emit dot produces a Graphviz digraph', () => {
    const r = siric(['compile', 'examples/quickstart.siri', '--emit', 'dot']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^digraph\b/);
    expect(r.stdout.trimEnd()).toMatch(/\}$/);
    expect(r.stdout).toContain('->');
  });

  it('-o writes the IR to a file, the same as stdout', () => {
    const out = path.join(tmp, 'quickstart.ir.json');
    const r = siric(['compile', 'examples/quickstart.siri', '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(out, 'utf8')).toBe(siric(['compile', 'examples/quickstart.siri']).stdout);
    expect(fs.readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('-o into a folder that does not exist: exit 2 with a message, no stack trace', () => {
    const r = siric(['compile', 'examples/quickstart.siri', '-o', path.join(tmp, 'no', 'such', 'dir', 'x.json')]);
    expectNoCrash(r);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write/);
  });

  it('a library file has no pipeline: exit 1 with E0404', () => {
    const r = siric(['compile', 'stdlib/std/presets.siri']);
    expectNoCrash(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('E0404');
  });

  it('--set rl.lr=2e-6 changes the stage and is recorded in `overrides`', () => {
    const f = 'examples/siri-1.5b-low.siri';
    const base = JSON.parse(siric(['compile', f]).stdout) as IRLike;
    const r = siric(['compile', f, '--set', 'rl.lr=2e-6']);
    expect(r.status, r.stderr).toBe(0);
    const ir = JSON.parse(r.stdout) as IRLike;
    const rl = (x: IRLike) => x.nodes.find((n) => n.type === 'train' && n.name === 'rl')!;
    expect(rl(base).optimizer!.lr).toBe(1e-6);
    expect(rl(ir).optimizer!.lr).toBe(2e-6);
    expect(ir.overrides).toEqual([{ path: 'rl.lr', value: '2e-6' }]);
    expect(base.overrides).toEqual([]);
    expect(validate(ir), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['rl.lrr=1', 'E0301', /lrr[^]*did you mean `lr`/],
    ['nope.x=1', 'E0407', /nope/],
    ['rl.lr', 'E0407', /not an override/],
    ['rl.lr=', 'E0103', /--set/],
    ['rl.lr="fast"', 'E0302', /lr/],
  ])('a bad override --set %s exits 1 with %s', (set, code, message) => {
    const r = siric(['compile', 'examples/siri-1.5b-low.siri', '--set', set]);
    expectNoCrash(r);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error[${code}]`);
    expect(r.stderr).toMatch(message);
  });
});

describe('siric plan', () => {
  it('shows resolved numbers, phases, SIRI checkpoints and a chart', () => {
    const r = siric(['plan', 'examples/siri-1.5b-low.siri', '--width', '100'], { cwd: provided });
    expectNoCrash(r);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain('pipeline siri_1p5b_low');
    expect(out).toContain('16384 (16k)');
    expect(out).toContain('8192 (8k)');
    expect(out).toMatch(/\bcompress\b/);
    expect(out).toMatch(/\bexpand\b/);
    expect(out).toContain('SIRI-low');
    expect(out).toContain('compress-3-end (SIRI-low)');
    expect(out).toContain('800 steps');
    // The chart: asciichart's axis and curves, and the phase strip under it.
    expect(out).toContain('rollout budget');
    expect(out).toMatch(/[┼┤]/);
    expect(out).toMatch(/[╭╮╰╯]/);
    expect(out).toMatch(/▼+▲+▼+/);
    // --width sizes the chart (the table above it is as wide as its columns).
    const chart = out.slice(out.indexOf('rollout budget'));
    expect(Math.max(...chart.split('\n').slice(1).map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('shows overrides', () => {
    const r = siric(['plan', 'examples/siri-1.5b-low.siri', '--set', 'rl.lr=2e-6'], { cwd: provided });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('override: rl.lr = 2e-6');
  });

  it.each(EXAMPLES)('%s plans without errors', (f) => {
    const r = siric(['plan', f, '--width', '80'], { cwd: provided });
    expectNoCrash(r);
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('siric fmt', () => {
  it('--check passes on every example and stdlib file (they are in canonical form)', () => {
    const r = siric(['fmt', '--check', ...EXAMPLES, ...STDLIB]);
    expectNoCrash(r);
    expect(r.stdout, 'files that are not formatted').toBe('');
    expect(r.status).toBe(0);
  });

  /** Same tokens, worse layout: indentation and spacing scrambled, blank lines added, trailing spaces. */
  function mess(text: string): string {
    return text
      .split('\n')
      .map((l, i) => {
        if (l.trimStart().startsWith('#')) return l;
        // Outside strings only: split on string literals, change the code between them.
        const body = l
          .trim()
          .split(/("(?:[^"\\]|\\.)*")/)
          .map((part, k) => (k % 2 ? part : part.replace(/ = /g, i % 2 ? '=' : '   =  ').replace(/, /g, ' ,')))
          .join('');
        return (i % 3 === 0 ? '\t' : ' '.repeat(i % 5)) + body + (i % 4 === 0 ? '   ' : '');
      })
      .join('\n')
      .replace(/\n\n/g, '\n\n\n');
  }

  it('rewrites a messy file in place; a second run changes nothing', () => {
    const src = fs.readFileSync(path.join(ROOT, 'examples/siri-1.5b-low.siri'), 'utf8');
    const file = path.join(tmp, 'messy.siri');
    const messy = mess(src);
    expect(messy).not.toBe(src);
    fs.writeFileSync(file, messy);
    // Still the same program.
    const before = siric(['compile', file]);
    expect(before.status, before.stderr).toBe(0);

    const check1 = siric(['fmt', '--check', file]);
    expect(check1.status).toBe(3);
    expect(check1.stdout.trim()).toBe(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(messy);

    const r1 = siric(['fmt', file]);
    expectNoCrash(r1);
    expect(r1.status, r1.stderr).toBe(0);
    expect(r1.stdout).toContain(`formatted ${file}`);
    const once = fs.readFileSync(file, 'utf8');
    expect(once).not.toBe(messy);
    // The canonical form of the scrambled file is the canonical file itself.
    expect(once).toBe(src);

    const r2 = siric(['fmt', file]);
    expect(r2.status).toBe(0);
    expect(r2.stdout).toBe('');
    expect(fs.readFileSync(file, 'utf8')).toBe(once);
    expect(siric(['fmt', '--check', file]).status).toBe(0);
    // Formatting never changes what the file compiles to (apart from the source hashes).
    const after = JSON.parse(siric(['compile', file]).stdout) as Record<string, unknown>;
    const strip = (ir: Record<string, unknown>) => ({ ...ir, source_hash: '', sources: '' });
    expect(strip(after)).toEqual(strip(JSON.parse(before.stdout) as Record<string, unknown>));
  });

  it('`fmt -` reads stdin and writes the formatted text to stdout', () => {
    const src = fs.readFileSync(path.join(ROOT, 'examples/quickstart.siri'), 'utf8');
    const r = siric(['fmt', '-'], { input: mess(src) });
    expectNoCrash(r);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(src);
    const again = siric(['fmt', '-'], { input: r.stdout });
    expect(again.stdout).toBe(src);
    const check = siric(['fmt', '--check', '-'], { input: mess(src) });
    expect(check.status).toBe(3);
  });

  it('refuses a file with a syntax error: exit 1, the file untouched', () => {
    const file = path.join(tmp, 'broken.siri');
    const text = 'model m {\n   source = scratch(layers = 1\n}\n';
    fs.writeFileSync(file, text);
    const r = siric(['fmt', file]);
    expectNoCrash(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error\[E01\d\d\]/m);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    const stdin = siric(['fmt', '-'], { input: text });
    expect(stdin.status).toBe(1);
    expect(stdin.stdout).toBe('');
  });

  it('a missing file: exit 2 with a message, no stack trace', () => {
    const r = siric(['fmt', path.join(tmp, 'missing.siri')]);
    expectNoCrash(r);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read/);
  });
});

describe('siric run', () => {
  it('a pipeline whose model folder is missing stops before it starts, the error on the path and naming where it looked', () => {
    const r = siric(['run', 'examples/siri-1.5b-low.siri']);
    expectNoCrash(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[E0504\]: the model folder `models\/DeepSeek-R1-Distill-Qwen-1.5B` of `policy` does not exist\n\s*--> examples\/siri-1.5b-low.siri:\d+:\d+/);
    expect(r.stderr).toContain(`looked for ${path.join('examples', 'models', 'DeepSeek-R1-Distill-Qwen-1.5B')}`);
  });

  it('a pipeline with errors stops before that: exit 1', () => {
    const r = siric(['run', 'examples/quickstart.siri', '--set', 'rl.lrr=1']);
    expectNoCrash(r);
    expect(r.status).toBe(1);
  });
});
