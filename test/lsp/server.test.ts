// The real `siric lsp` over stdio: one server for the whole file, driven as an editor drives it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV, siric, ROOT } from '../helpers/binary.js';
import { LspClient } from '../helpers/lsp-client.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'lsp');
let dir: string;
let client: LspClient;
const uri = (name: string): string => pathToFileURL(path.join(dir, name)).href;
const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
let version = 1;

async function open(name: string, text = read(name)): Promise<void> {
  await client.notify('textDocument/didOpen', { textDocument: { uri: uri(name), languageId: 'siri', version: version++, text } });
}
async function change(name: string, text: string): Promise<void> {
  await client.notify('textDocument/didChange', { textDocument: { uri: uri(name), version: version++ }, contentChanges: [{ text }] });
}
/** The position of the `n`th occurrence of `needle` in a file's text (plus `shift` characters). */
function pos(text: string, needle: string, shift = 0, n = 1): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i < n; i++) at = text.indexOf(needle, at + 1);
  expect(at, needle).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, at + shift);
  return { line: before.split('\n').length - 1, character: before.length - before.lastIndexOf('\n') - 1 };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-lsp-'));
  for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  client = new LspClient(dir);
  const init = await client.request<{ capabilities: Record<string, unknown> }>('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {}, initializationOptions: { debounceMs: 5 } });
  expect(init.capabilities['hoverProvider']).toBe(true);
  await client.notify('initialized', {});
});
afterAll(() => {
  client?.child.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('siric lsp', () => {
  it('a typo gets the diagnostic `siric check --json` gives: code, range, message', async () => {
    const text = read('main.siri').replace('  group = 4 responses', '  grup = 4 responses');
    fs.writeFileSync(path.join(dir, 'typo.siri'), text);
    const published = client.nextDiagnostics(uri('typo.siri'));
    await open('typo.siri', text);
    const [d] = (await published).diagnostics;
    const cli = JSON.parse(siric(['check', '--json', 'typo.siri'], { cwd: dir }).stdout) as { diagnostics: { code: string; summary: string; detail: string; range: { start: { line: number; column: number }; end: { line: number; column: number } } }[] };
    expect(cli.diagnostics).toHaveLength(1);
    const want = cli.diagnostics[0]!;
    expect(d).toMatchObject({
      code: want.code,
      severity: 1,
      message: `${want.summary}\n${want.detail}`,
      range: { start: { line: want.range.start.line - 1, character: want.range.start.column - 1 }, end: { line: want.range.end.line - 1, character: want.range.end.column - 1 } },
    });
    expect(d!.message).toContain('did you mean `group`?');
  });

  it('updates as the user types, and offers the did-you-mean as a quick fix', async () => {
    const text = read('typo.siri');
    const d = client.diagnostics.get(uri('typo.siri'))!.diagnostics[0]!;
    const actions = await client.request<{ title: string; edit: { changes: Record<string, { newText: string; range: unknown }[]> } }[]>('textDocument/codeAction', { textDocument: { uri: uri('typo.siri') }, range: d.range, context: { diagnostics: [d] } });
    expect(actions).toHaveLength(1);
    expect(actions[0]!.edit.changes[uri('typo.siri')]).toEqual([{ range: d.range, newText: 'group' }]);
    const clean = client.nextDiagnostics(uri('typo.siri'), (p) => p.diagnostics.length === 0);
    await change('typo.siri', text.replace('grup =', 'group ='));
    await clean;
  });

  it('an error in an imported file is re-checked in its importer', async () => {
    await open('main.siri');
    await client.nextDiagnostics(uri('main.siri'));
    const broken = client.nextDiagnostics(uri('main.siri'), (p) => p.diagnostics.some((d) => d.code === 'E0202'));
    await open('lib.siri', read('lib.siri').replace('dataset math', 'dataset maths'));
    const d = (await broken).diagnostics.find((x) => x.code === 'E0202')!;
    expect(d.message).toContain('did you mean `maths`?');
    const fixed = client.nextDiagnostics(uri('main.siri'), (p) => p.diagnostics.length === 0);
    await change('lib.siri', read('lib.siri'));
    await fixed;
  });

  it('completes the keys of a train block with their docs, leaving out those already set', async () => {
    const text = read('main.siri').replace('  lr = 1e-4\n', '  lr = 1e-4\n  \n');
    await change('main.siri', text);
    const items = await client.request<{ label: string; documentation?: { value: string } }[]>('textDocument/completion', { textDocument: { uri: uri('main.siri') }, position: pos(text, '  lr = 1e-4\n  \n', '  lr = 1e-4\n  '.length) });
    const labels = items.map((i) => i.label);
    expect(labels).toEqual(expect.arrayContaining(['temperature', 'epochs', 'kl', 'checkpoint']));
    expect(labels).not.toContain('lr');
    expect(labels).not.toContain('group');
    expect(items.find((i) => i.label === 'temperature')!.documentation!.value).toContain('sampling temperature for rollouts');
    await change('main.siri', read('main.siri'));
  });

  it('completes values of the right kind, presets, std/ imports and units', async () => {
    const base = read('main.siri');
    const labelsAt = async (text: string, needle: string, shift: number): Promise<string[]> => {
      await change('main.siri', text);
      const items = await client.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: uri('main.siri') }, position: pos(text, needle, shift) });
      await change('main.siri', base);
      return items.map((i) => i.label);
    };
    expect(await labelsAt(base.replace('data = lib.math', 'data = '), 'data = ', 7)).toEqual(['lib.math']);
    expect(await labelsAt(base.replace('kl', 'kl').replace('  lr = 1e-4\n', '  lr = 1e-4\n  kl = \n'), 'kl = ', 5)).toEqual(expect.arrayContaining(['off']));
    expect(await labelsAt(base + '\ntrain other = \n', 'train other = ', 14)).toEqual(expect.arrayContaining(['presets.dapo', 'presets.grpo', 'rl']));
    expect(await labelsAt('import "\n' + base, 'import "', 8)).toEqual(expect.arrayContaining(['std/presets', 'std/schedules', 'lib']));
    const units = await labelsAt(base.replace('steps = 20 steps', 'steps = 20 '), 'steps = 20 ', 11);
    expect(units[0]).toBe('steps');
  });

  it('hovers a key (docs, type, unit, default, range) and a `16k`', async () => {
    const text = read('main.siri');
    const h = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri('main.siri') }, position: pos(text, 'group =', 1) });
    expect(h.contents.value).toContain('responses sampled per prompt');
    expect(h.contents.value).toContain('unit: responses');
    expect(h.contents.value).toContain('default: `8`');
    expect(h.contents.value).toContain('range: ≥ 2');
    const k = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri('main.siri') }, position: pos(text, '16k', 1) });
    expect(k.contents.value).toContain('16384 tokens');
  });

  it('hovers a phase with its resolved steps and budget', async () => {
    const text = read('main.siri');
    const h = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri('main.siri') }, position: pos(text, 'phase expand', 7) });
    expect(h.contents.value).toContain('steps 21–40: 48 → 112 tokens');
  });

  it("goes to a preset's definition in std/", async () => {
    const text = read('main.siri');
    const loc = await client.request<{ uri: string; range: { start: { line: number } } }>('textDocument/definition', { textDocument: { uri: uri('main.siri') }, position: pos(text, 'presets.dapo', 'presets.'.length + 1) });
    expect(loc.uri).toBe(pathToFileURL(path.join(ROOT, 'stdlib', 'std', 'presets.siri')).href);
    const std = fs.readFileSync(path.join(ROOT, 'stdlib', 'std', 'presets.siri'), 'utf8');
    expect(std.split('\n')[loc.range.start.line]).toBe('train dapo {');
  });

  it('hovers a reference with its declaration, and finds its references across files', async () => {
    const text = read('main.siri');
    const h = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri('main.siri') }, position: pos(text, 'presets.dapo', 9) });
    expect(h.contents.value).toContain('train dapo');
    expect(h.contents.value).toContain('DAPO, the recipe SIRI builds on');
    expect(h.contents.value).toContain('declared in `std/presets.siri:');
    const refs = await client.request<{ uri: string }[]>('textDocument/references', { textDocument: { uri: uri('main.siri') }, position: pos(text, 'lib.math', 5), context: { includeDeclaration: true } });
    expect(refs.map((r) => r.uri).sort()).toEqual([uri('lib.siri'), uri('main.siri'), uri('typo.siri')].sort());
  });

  it('notes become related information', async () => {
    const text = 'pipeline p {\n  seed = 1\n}\n\nmodel m {\n  source = scratch()\n}\n\nmodel m {\n  source = scratch()\n}\n';
    fs.writeFileSync(path.join(dir, 'dup.siri'), text);
    const published = client.nextDiagnostics(uri('dup.siri'));
    await open('dup.siri', text);
    const d = (await published).diagnostics.find((x) => x.code === 'E0203')!;
    expect(d.relatedInformation).toEqual([{ location: { uri: uri('dup.siri'), range: { start: { line: 4, character: 6 }, end: { line: 4, character: 7 } } }, message: 'first declared as a `model`' }]);
  });

  it('renames a dataset across two files, and refuses to rename in std/', async () => {
    const lib = read('lib.siri');
    const edit = await client.request<{ changes: Record<string, { newText: string; range: { start: { line: number; character: number } } }[]> }>('textDocument/rename', { textDocument: { uri: uri('lib.siri') }, position: pos(lib, 'math', 1), newName: 'numbers' });
    expect(Object.keys(edit.changes).sort()).toEqual([uri('lib.siri'), uri('main.siri'), uri('typo.siri')].sort());
    expect(edit.changes[uri('main.siri')]).toEqual([{ range: { start: pos(read('main.siri'), 'lib.math', 4), end: pos(read('main.siri'), 'lib.math', 8) }, newText: 'numbers' }]);
    const main = read('main.siri');
    await expect(client.request('textDocument/rename', { textDocument: { uri: uri('main.siri') }, position: pos(main, 'presets.dapo', 9), newName: 'mine' })).rejects.toThrow(/standard library.*read-only/);
  });

  it('formats through the canonical formatter', async () => {
    const messy = read('lib.siri').replace('dataset math = ', 'dataset   math =   ');
    await change('lib.siri', messy);
    const edits = await client.request<{ newText: string }[]>('textDocument/formatting', { textDocument: { uri: uri('lib.siri') }, options: { tabSize: 2, insertSpaces: true } });
    expect(edits).toHaveLength(1);
    expect(edits[0]!.newText).toBe(read('lib.siri'));
    await change('lib.siri', read('lib.siri'));
  });

  it('shows inlay hints with each phase\'s steps and budget', async () => {
    const hints = await client.request<{ label: string; position: { line: number } }[]>('textDocument/inlayHint', { textDocument: { uri: uri('main.siri') }, range: { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } } });
    const labels = hints.map((h) => h.label);
    expect(labels).toContain('steps 1–20: 112 → 48 tokens');
    expect(labels).toContain('steps 21–40: 48 → 112 tokens');
    expect(labels).toContain('steps 1–40 (2 phases)');
  });

  it('answers an unknown request with MethodNotFound and a malformed one with an error, and stays up', async () => {
    await expect(client.request('siric/noSuchThing', {})).rejects.toMatchObject({ code: -32601 });
    await expect(client.request('textDocument/hover', { nonsense: true })).rejects.toMatchObject({ code: -32603 });
    client.child.stdin.write('Content-Length: 8\r\n\r\n{"jsonrp');
    client.child.stdin.write('Content-Length: 12\r\n\r\n{not json!!}');
    const noMethod = '{"jsonrpc":"2.0","id":77}';
    client.child.stdin.write(`Content-Length: ${noMethod.length}\r\n\r\n${noMethod}`);
    await vi.waitFor(() => expect(client.raw).toContain('"id":null,"error":{"code":-32700'));
    await vi.waitFor(() => expect(client.raw).toContain('"id":77,"error":{"code":-32600'));
    await client.notify('textDocument/didOpen', { textDocument: { uri: 'untitled:Untitled-1', languageId: 'siri', version: 1, text: 'pipeline p { sed = 1 }' } });
    expect(await client.request('textDocument/hover', { textDocument: { uri: 'untitled:Untitled-1' }, position: { line: 0, character: 14 } })).toBeNull();
    await open('lib.siri');
    const syms = await client.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: uri('lib.siri') } });
    expect(syms.map((s) => s.name)).toEqual(['import "std/tasks"', 'math']);
    expect(client.stderr).not.toMatch(/Error/);
  });

  it('shuts down and exits with 0', async () => {
    await client.request('shutdown', null);
    await client.notify('exit', null);
    expect(await client.exited).toBe(0);
  });

  it('a second server: a target it does not know is named in a warning; told to exit without shutdown it exits with 1', async () => {
    const other = new LspClient(dir);
    await other.request('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: { target: 'tpu' } });
    await vi.waitFor(() => expect(other.raw).toContain('siric.target: `tpu` is not a target (ir, verl)'));
    await other.notify('exit', null);
    expect(await other.exited).toBe(1);
  });

  it('a server for the verl target adds what `siric check --target verl` adds (a scratch model is refused)', async () => {
    const other = new LspClient(dir);
    await other.request('initialize', { processId: null, rootUri: pathToFileURL(dir).href, capabilities: {}, initializationOptions: { target: 'verl', debounceMs: 5 } });
    await other.notify('initialized', {});
    const published = other.nextDiagnostics(uri('main.siri'));
    await other.notify('textDocument/didOpen', { textDocument: { uri: uri('main.siri'), languageId: 'siri', version: 1, text: read('main.siri') } });
    const codes = (await published).diagnostics.map((d: { code?: string | number }) => d.code);
    const cli = JSON.parse(siric(['check', '--target', 'verl', '--json', 'main.siri'], { cwd: dir, env: { ...ENV, SIRIC_NO_VERL_DETECT: '1' } }).stdout) as { diagnostics: { code: string }[] };
    expect(codes).toContain('E0601');
    expect(codes).toEqual(cli.diagnostics.map((d) => d.code));
    await other.request('shutdown', null);
    await other.notify('exit', null);
    expect(await other.exited).toBe(0);
  });
});
