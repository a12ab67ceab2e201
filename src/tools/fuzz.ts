// `npm run fuzz`: the front end (check's phases and fmt) on many mutated examples and stdlib files,
// in-process. Every case must answer with diagnostics or ok, never throw, never report E0999,
// format idempotently when it formats, and take less than the time bound. Replay a failure with
// the seed and index it prints:
//   node dist/tools/fuzz.js --files 100000 --seed 1 [--timeout-ms 5000] [--out DIR]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileFile } from '../compiler.js';
import { renderAllHuman } from '../diagnostics/render.js';
import { formatSource } from '../format/printer.js';
import { PACKAGE_ROOT } from '../util/package-root.js';
import { MUTATION_KINDS, mutate, rng, type MutationKind } from './fuzz-mutations.js';

export interface FuzzCorpusFile {
  rel: string;
  text: string;
}

export function fuzzCorpus(root = PACKAGE_ROOT): FuzzCorpusFile[] {
  const dirs = ['examples', path.join('stdlib', 'std')];
  return dirs.flatMap((d) =>
    fs
      .readdirSync(path.join(root, d))
      .filter((f) => f.endsWith('.siri'))
      .sort()
      .map((f) => ({ rel: path.join(d, f), text: fs.readFileSync(path.join(root, d, f), 'utf8') })),
  );
}

/** Huge literals are slow to make and to lex: a few of them go a long way. */
const WEIGHTS: Record<MutationKind, number> = { bytes: 16, chars: 18, tokens: 20, splice: 12, proto: 16, nesting: 12, huge: 2 };
const TOTAL = MUTATION_KINDS.reduce((n, k) => n + WEIGHTS[k], 0);

/** The case at `index` of a run with `seed`: the same file every time. */
export function fuzzCase(corpus: readonly FuzzCorpusFile[], seed: number, index: number): { rel: string; kind: MutationKind; text: string } {
  const r = rng((seed * 0x9e3779b1) ^ (index * 0x85ebca6b));
  const file = corpus[Math.floor(r() * corpus.length)]!;
  const other = corpus[Math.floor(r() * corpus.length)]!;
  let w = r() * TOTAL;
  const kind = MUTATION_KINDS.find((k) => (w -= WEIGHTS[k]) < 0) ?? 'tokens';
  return { rel: file.rel, kind, text: mutate(file.text, other.text, kind, r) };
}

/** Runs one case; returns what went wrong, or undefined. */
export function fuzzOne(rel: string, text: string, root = PACKAGE_ROOT): string | undefined {
  try {
    const out = compileFile(path.join(root, rel), { mode: 'check', text, display: rel });
    const internal = out.diagnostics.find((d) => d.code === 'E0999');
    if (internal) return `E0999: ${internal.message}`;
    renderAllHuman(out.diagnostics, out.texts);
    const f = formatSource(rel, text);
    if (f.ok) {
      const again = formatSource(rel, f.text);
      if (!again.ok || again.text !== f.text) return 'fmt is not idempotent';
    }
    return undefined;
  } catch (e) {
    return `threw: ${(e as Error).stack ?? String(e)}`;
  }
}

function main(argv: string[]): number {
  const arg = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
  };
  const files = Number(arg('--files', '100000'));
  const seed = Number(arg('--seed', String(Date.now() % 1_000_000)));
  const timeoutMs = Number(arg('--timeout-ms', '5000'));
  const outDir = arg('--out', path.join(os.tmpdir(), `siric-fuzz-${seed}`));
  const corpus = fuzzCorpus();
  let crashes = 0;
  let timeouts = 0;
  let slowest = 0;
  const byKind = new Map<MutationKind, number>();
  const start = performance.now();
  const save = (i: number, rel: string, text: string, why: string): void => {
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, `${i}-${path.basename(rel)}`), text);
    console.error(`case ${i} (${rel}): ${why.split('\n').slice(0, 6).join('\n')}`);
  };
  for (let i = 0; i < files; i++) {
    const c = fuzzCase(corpus, seed, i);
    byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
    const t = performance.now();
    const why = fuzzOne(c.rel, c.text);
    const ms = performance.now() - t;
    slowest = Math.max(slowest, ms);
    if (why) {
      crashes++;
      save(i, c.rel, c.text, why);
    } else if (ms > timeoutMs) {
      timeouts++;
      save(i, c.rel, c.text, `took ${ms.toFixed(0)} ms (bound ${timeoutMs} ms)`);
    }
    if ((i + 1) % 10_000 === 0) console.error(`${i + 1} files, ${crashes} crashes, ${timeouts} timeouts`);
  }
  const secs = (performance.now() - start) / 1000;
  console.log(`siric fuzz: seed ${seed}, ${files} files from ${corpus.length} corpus files in ${secs.toFixed(1)} s (${(files / secs).toFixed(0)} files/s)`);
  console.log(`  mutations: ${MUTATION_KINDS.map((k) => `${k} ${byKind.get(k) ?? 0}`).join(', ')}`);
  console.log(`  crashes: ${crashes}, timeouts (> ${timeoutMs} ms): ${timeouts}, slowest case: ${slowest.toFixed(0)} ms`);
  if (crashes || timeouts) console.log(`  failing cases written to ${outDir}`);
  return crashes || timeouts ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) process.exitCode = main(process.argv.slice(2));
