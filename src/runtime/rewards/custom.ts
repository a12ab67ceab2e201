// `kind = custom`: a user's reward function from a JavaScript or TypeScript module, loaded only
// when a run starts (the compiler never executes user code). The module runs in a worker thread
// (./worker.ts) under a per-call time limit; a `.ts` module is transpiled with esbuild first.
// The contract (docs/rewards.md): the function takes one object {prompt, response, answer,
// truncated, length, budget} and returns, or resolves to, a finite number, a boolean, or
// {score, correct?}; anything else, a throw or a time-out is a failure of that call.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IRReward } from '../../ir/graph.js';
import { RunError, type RewardInput } from '../types.js';
import { RewardWorker } from './worker.js';

/** One response's unweighted score; `correct` when the reward judges the answer, `found` when it found one. */
export interface Scored {
  score: number;
  correct?: boolean;
  found?: boolean;
}

/** A failed call: the message, and where in the user's module it happened (file:line:col), when known. */
export class RewardCallError extends Error {
  constructor(
    message: string,
    readonly at?: string,
  ) {
    super(message);
  }
}

export type RewardFn = ((input: RewardInput) => Scored | Promise<Scored>) & { close?: () => Promise<void> };

/** The per-call limit when the reward sets no `timeout_s`. */
export const DEFAULT_TIMEOUT_S = 10;

export async function loadCustomReward(node: IRReward, baseDir: string): Promise<RewardFn> {
  const mod = node.params['module'];
  const name = node.params['export'] ?? 'default';
  const timeout = node.params['timeout_s'] ?? DEFAULT_TIMEOUT_S;
  if (typeof mod !== 'string' || typeof name !== 'string') throw new RunError(`reward \`${node.name}\`: \`module\` and \`export\` must be strings`, undefined, 'R0303');
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new RunError(`reward \`${node.name}\`: \`timeout_s\` must be a positive number of seconds`, undefined, 'R0303');
  const file = path.resolve(baseDir, mod);
  if (!existsSync(file)) throw new RunError(`reward \`${node.name}\`: cannot find the module ${mod}`, `looked for ${file} (paths are relative to the pipeline file's folder)`, 'R0303');
  const url = /\.[mc]?ts$/.test(file) ? await transpile(file, node.name) : pathToFileURL(file).href;
  const worker = new RewardWorker(url, name, timeout * 1000);
  const failure = await worker.start();
  if (failure) {
    await worker.close();
    if (failure.kind === 'load_error') throw new RunError(`reward \`${node.name}\`: cannot load the module ${mod}: ${failure.message}`, 'fix the error at the place named; the module is imported in a worker thread, as Node imports an ES module', 'R0303');
    const have = failure.functions;
    throw new RunError(`reward \`${node.name}\`: the module ${mod} has no function export "${name}"`, have.length ? `its function exports: ${have.join(', ')}; set \`export = "${have[0]}"\`` : 'export a function (input) => number, e.g. `export default function (input) { ... }`', 'R0304');
  }
  const fn: RewardFn = async (input) => {
    const r = await worker.call(input);
    if (!r.ok) throw new RewardCallError(r.message, r.stack ? locate(r.stack, file) : undefined);
    return interpret(r.value);
  };
  fn.close = () => worker.close();
  return fn;
}

/** A returned value as a score, or a failure that says what came back. */
export function interpret(v: unknown): Scored {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return { score: v };
    throw new RewardCallError(`returned ${String(v)}, not a finite number`);
  }
  if (typeof v === 'boolean') return { score: v ? 1 : 0, correct: v };
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !('__unsendable' in v)) {
    const o = v as Record<string, unknown>;
    const score = o['score'];
    if (typeof score !== 'number' || !Number.isFinite(score)) throw new RewardCallError(`returned an object whose \`score\` is ${describe(score)}, not a finite number`);
    const correct = o['correct'];
    if (correct !== undefined && typeof correct !== 'boolean') throw new RewardCallError(`returned an object whose \`correct\` is ${describe(correct)}, not true or false`);
    return correct === undefined ? { score } : { score, correct };
  }
  throw new RewardCallError(`returned ${describe(v)}: return a finite number, a boolean, or { score, correct }`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined (no return value?)';
  if (v !== null && typeof v === 'object' && '__unsendable' in v) return `a ${String((v as { __unsendable: string }).__unsendable)} that cannot leave its worker`;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v)?.slice(0, 80) ?? typeof v;
}

/** The first stack frame in the user's module (or next to it): `file:line:col`, relative to the working folder. */
export function locate(stack: string, file: string): string | undefined {
  const dir = path.dirname(file);
  for (const m of stack.matchAll(/(?:file:\/\/)?(\/[^\s():]+):(\d+):(\d+)/g)) {
    const p = m[1]!;
    if (!p.startsWith(dir + path.sep) || p.includes(`${path.sep}node_modules${path.sep}`)) continue;
    const rel = path.relative(process.cwd(), p);
    return `${rel.startsWith('..') ? p : rel}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

/**
 * A TypeScript module as one ES module (its own imports bundled in), with an inline source map so
 * that stack traces point into the .ts file. esbuild is loaded only when a .ts module is used.
 */
async function transpile(file: string, reward: string): Promise<string> {
  const esbuild = await import('esbuild');
  // Written next to nothing of the user's: a temporary folder, removed when the process ends.
  const dir = mkdtempSync(path.join(tmpdir(), 'siric-reward-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, `${path.basename(file).replace(/\.[mc]?ts$/, '')}.mjs`);
  let code: string;
  try {
    // `outfile` (not written) makes the source map's paths relative to where the code will lie.
    const r = await esbuild.build({ entryPoints: [file], outfile: out, bundle: true, format: 'esm', platform: 'node', target: 'node20', sourcemap: 'inline', write: false, logLevel: 'silent' });
    code = r.outputFiles[0]!.text;
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw new RunError(`reward \`${reward}\`: cannot compile the TypeScript module ${path.basename(file)}: ${where}${first?.text ?? (e as Error).message}`);
  } finally {
    await esbuild.stop(); // its service process would keep siric alive after the run
  }
  writeFileSync(out, code);
  return pathToFileURL(out).href;
}
