// One side of a diff: a pipeline file, `REV:path` read through git, or a run directory's recorded
// pipeline. Each becomes a compiled graph, with the checker's result (for the origins of settings)
// whenever its sources can be read as they were.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../compiler.js';
import type { Diagnostic } from '../diagnostics/messages.js';
import type { IR } from '../ir/graph.js';
import type { CheckResult } from '../semantics/check.js';
import { nodeHost, STDLIB_DIR, type Host, type Program } from '../semantics/loader.js';

/** Path → sha256 of the files a run read (manifest.json `inputs`). */
export type InputHashes = Record<string, { sha256: string; bytes: number }>;

export interface Side {
  /** As given on the command line. */
  label: string;
  kind: 'file' | 'git' | 'run';
  ir: IR;
  /** The sources as compiled: where each setting comes from. Absent for a run whose sources changed. */
  compiled?: { program: Program; result: CheckResult };
  /** A run's input files, by content. */
  inputs?: InputHashes;
  /** Why origins are missing, when they are. */
  note?: string;
}

export type Loaded = { side: Side } | { trouble: string; diagnostics?: Diagnostic[]; texts?: Map<string, string> };

/** `A` as a run directory, `REV:path`, or a file (in that order: an existing path is never read through git). */
export function loadSide(arg: string, cwd: string = process.cwd()): Loaded {
  const abs = path.resolve(cwd, arg);
  if (isDir(abs)) return fs.existsSync(path.join(abs, 'manifest.json')) ? loadRun(arg, abs) : { trouble: `${arg} is a folder but not a run directory (it has no manifest.json)` };
  if (!fs.existsSync(abs)) {
    const m = /^([^:]+):(.+)$/.exec(arg);
    if (m) return loadGit(arg, m[1]!, m[2]!, cwd);
  }
  return compiled(arg, 'file', compileFile(arg, { mode: 'compile', host: { ...nodeHost, cwd } }));
}

export function compiled(label: string, kind: Side['kind'], out: ReturnType<typeof compileFile>): Loaded {
  if (!out.ir || !out.program || !out.result) return { trouble: `${label} does not compile`, diagnostics: out.diagnostics, texts: out.texts };
  return { side: { label, kind, ir: out.ir, compiled: { program: out.program, result: out.result } } };
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const git = (cwd: string, args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

/** `REV:path`: the file and every file it imports as they are in that revision (std/ is siric's own). */
function loadGit(label: string, rev: string, file: string, cwd: string): Loaded {
  let top: string;
  try {
    top = git(cwd, ['rev-parse', '--show-toplevel']).trim();
    git(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    return { trouble: `${label}: \`${rev}\` is not a revision of a git repository here (and no file is called ${label})` };
  }
  const host = gitHost(rev, top, cwd);
  // As in git: `REV:path` is from the top of the repository, `REV:./path` from the current folder.
  const abs = /^\.\.?\//.test(file) ? path.resolve(cwd, file) : path.resolve(top, file);
  if (host.readFile(abs) === undefined) return { trouble: `${label}: there is no ${toPosix(path.relative(top, abs))} in ${rev}` };
  return compiled(label, 'git', compileFile(abs, { mode: 'compile', host, display: label }));
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** A Host that reads files of the repository at `top` from revision `rev`. */
export function gitHost(rev: string, top: string, cwd: string): Host {
  const rel = (abs: string): string | undefined => {
    const r = toPosix(path.relative(top, abs));
    return r.startsWith('..') || path.isAbsolute(r) ? undefined : r;
  };
  return {
    cwd,
    readFile(abs) {
      if (abs.startsWith(STDLIB_DIR)) return nodeHost.readFile(abs);
      const r = rel(abs);
      if (r === undefined) return undefined;
      try {
        return git(top, ['show', `${rev}:${r}`]);
      } catch {
        return undefined;
      }
    },
    listDir(abs) {
      if (abs.startsWith(STDLIB_DIR)) return nodeHost.listDir(abs);
      const r = rel(abs);
      if (r === undefined) return [];
      try {
        return git(top, ['ls-tree', '--name-only', rev, '--', r === '' ? '.' : `${r}/`]).split('\n').filter(Boolean).map((p) => path.posix.basename(p));
      } catch {
        return [];
      }
    },
    whyUnreadable: () => `not in ${rev}`,
  };
}

interface Manifest {
  ir: IR;
  base_dir?: string;
  inputs?: InputHashes;
}

/**
 * A run's recorded graph is what ran. Its sources are compiled again (with its `--set` overrides)
 * for the origins of its settings, when they still hash as recorded.
 */
function loadRun(label: string, abs: string): Loaded {
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(path.join(abs, 'manifest.json'), 'utf8')) as Manifest;
    if (!m.ir?.pipeline || !Array.isArray(m.ir.nodes)) throw new Error('no graph');
  } catch (e) {
    return { trouble: `${label}/manifest.json is not a readable run manifest (${(e as Error).message})` };
  }
  const side: Side = { label, kind: 'run', ir: m.ir };
  if (m.inputs) side.inputs = m.inputs;
  const base = m.base_dir ?? abs;
  const changed = m.ir.sources.find((s) => {
    const file = s.path.startsWith('std/') ? path.join(STDLIB_DIR, s.path) : path.resolve(base, s.path);
    const text = nodeHost.readFile(file);
    return text === undefined || createHash('sha256').update(text).digest('hex') !== s.sha256;
  });
  if (changed) {
    side.note = `${changed.path} changed since the run (or is gone): its settings are shown without their origins`;
    return { side };
  }
  const out = compileFile(path.join(base, m.ir.pipeline.file), { mode: 'compile', sets: m.ir.overrides.map((o) => `${o.path}=${o.value}`) });
  if (out.ir?.source_hash === m.ir.source_hash && out.program && out.result) side.compiled = { program: out.program, result: out.result };
  else side.note = 'its sources no longer compile to the recorded graph: its settings are shown without their origins';
  return { side };
}
