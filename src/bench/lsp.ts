// `npm run bench:lsp`: how long the language server takes from an edit (`didChange`) to the
// diagnostics it publishes for it, in a generated 1,000-line pipeline and a 10,000-line one (the
// pipelines of bench:compile, with their data files written so that they check clean). The real
// `siric lsp` runs as an editor starts it, over stdio, with its default debounce (included in the
// times). `--json` prints the numbers as JSON; `--edits=N` sets the number of timed edits.
//
// Targets (issue 18): under 50 ms after an edit in the 1,000-line file, under 300 ms in the 10,000-line one.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node.js';
import { generatePipeline } from './compile.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'siric.js');
export const TARGETS_MS = { 1000: 50, 10000: 300 } as const;

interface Result {
  lines: number;
  openMs: number;
  editsMs: number[];
  minMs: number;
  medianMs: number;
  maxMs: number;
  targetMs: number;
  errors: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const editsArg = argv.find((a) => a.startsWith('--edits='));
  const edits = editsArg ? Number(editsArg.slice('--edits='.length)) : 10;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-bench-lsp-'));
  const child = spawn(process.execPath, [BIN, 'lsp'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map<string, { version: number; resolve: (p: PublishDiagnosticsParams) => void }>();
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    const w = waiting.get(p.uri);
    if (w && p.version === w.version) {
      waiting.delete(p.uri);
      w.resolve(p);
    }
  });
  conn.listen();
  const published = (uri: string, version: number): Promise<PublishDiagnosticsParams> => new Promise((resolve) => waiting.set(uri, { version, resolve }));
  try {
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} });
    await conn.sendNotification('initialized', {});
    const results: Result[] = [];
    for (const lines of [1000, 10000] as const) {
      const text = generatePipeline(lines);
      const shards = [...text.matchAll(/jsonl\("(data\/shard-\d+\.jsonl)"\)/g)].map((m) => m[1]!);
      fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
      for (const s of shards) fs.writeFileSync(path.join(dir, s), '{"problem": "1 + 1", "answer": "2"}\n{"problem": "2 + 3", "answer": "5"}\n');
      const file = path.join(dir, `bench-${lines}.siri`);
      fs.writeFileSync(file, text);
      const uri = pathToFileURL(file).href;
      let version = 1;
      const t0 = performance.now();
      const first = published(uri, version);
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'siri', version, text } });
      const opened = await first;
      const openMs = performance.now() - t0;
      // Each edit retypes the learning rate of the first RL stage: 1e-6 ↔ 9e-6, one character.
      const at = text.indexOf('  lr = ', text.indexOf('train stage_1 ')) + '  lr = '.length;
      const line = text.slice(0, at).split('\n').length - 1;
      const character = at - text.lastIndexOf('\n', at - 1) - 1;
      const editsMs: number[] = [];
      for (let k = 0; k < edits; k++) {
        version++;
        const done = published(uri, version);
        const s = performance.now();
        await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: { start: { line, character }, end: { line, character: character + 1 } }, text: k % 2 ? '1' : '9' }] });
        await done;
        editsMs.push(performance.now() - s);
      }
      await conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
      const errors = opened.diagnostics.filter((d) => d.severity === 1).length;
      results.push({ lines: text.split('\n').length - 1, openMs, editsMs, minMs: Math.min(...editsMs), medianMs: median(editsMs), maxMs: Math.max(...editsMs), targetMs: TARGETS_MS[lines], errors });
    }
    await conn.sendRequest('shutdown', null);
    await conn.sendNotification('exit', null);
    const env = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', edits };
    if (json) {
      process.stdout.write(JSON.stringify({ env, results }, null, 2) + '\n');
      return;
    }
    const f = (ms: number): string => `${ms.toFixed(1)} ms`;
    const rows = [['file', 'open → diagnostics', 'edit → diagnostics: min', 'median', 'max', 'target', 'met'], ...results.map((r) => [`${r.lines} lines${r.errors ? ` (${r.errors} errors!)` : ''}`, f(r.openMs), f(r.minMs), f(r.medianMs), f(r.maxMs), `< ${r.targetMs} ms`, r.medianMs < r.targetMs ? 'yes' : 'NO'])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    process.stdout.write(`${env.cpus} × ${env.cpu}, Node ${env.node}, ${edits} edits each\n\n` + rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n');
  } finally {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
