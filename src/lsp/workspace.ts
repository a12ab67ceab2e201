// The files the server knows: the documents open in the editor (their unsaved text wins over the
// disk), the parses it keeps (a std/ file is parsed once; an unchanged import is reused), and the
// last analysis of each open document. Everything is computed by the compiler's own phases.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ParseResult } from '../ast/build.js';
import { compileFile, type CompileOutput } from '../compiler.js';
import { loadProgram, nodeHost, type Host, type Module } from '../semantics/loader.js';
import { toPath } from './convert.js';
import { IncrementalParser } from './incremental-parse.js';

/** One open document, compiled as `siric check` compiles it. */
export interface Analysis {
  uri: string;
  abs: string;
  version: number;
  text: string;
  out: CompileOutput;
  /** Display path (as in diagnostics' spans) → module, for every file the document loaded. */
  modules: Map<string, Module>;
  /** The module of the document itself (absent when it could not be read). */
  module?: Module;
}

interface Cached<T> {
  key: string;
  value: T;
}

export class Workspace {
  /** Open documents: absolute path → text and version. */
  private readonly open = new Map<string, { uri: string; text: string; version: number }>();
  private readonly parses = new Map<string, Cached<ParseResult>>();
  private readonly parser = new IncrementalParser();
  /** Files read from disk, reused while their size and mtime are the same. */
  private readonly disk = new Map<string, Cached<Buffer | undefined>>();
  readonly analyses = new Map<string, Analysis>();
  readonly host: Host;

  constructor(readonly root: string) {
    this.host = {
      cwd: root,
      readFile: (abs) => this.open.get(abs)?.text ?? this.readDisk(abs)?.toString('utf8'),
      readBytes: (abs) => {
        const doc = this.open.get(abs);
        return doc ? Buffer.from(doc.text, 'utf8') : this.readDisk(abs);
      },
      listDir: (abs) => nodeHost.listDir(abs),
      whyUnreadable: (abs) => nodeHost.whyUnreadable!(abs),
      parse: (display, text) => this.parse(display, text),
    };
  }

  setDocument(uri: string, text: string, version: number): void {
    this.open.set(toPath(uri), { uri, text, version });
  }

  closeDocument(uri: string): void {
    this.open.delete(toPath(uri));
    this.analyses.delete(uri);
  }

  document(uri: string): { text: string; version: number } | undefined {
    return this.open.get(toPath(uri));
  }

  openUris(): string[] {
    return [...this.open.values()].map((d) => d.uri);
  }

  /** Forget what was read from disk (a file changed outside the editor). */
  invalidateDisk(): void {
    this.disk.clear();
  }

  /** Compile an open document (mode `check`, reading the files it names, as `siric check` does). */
  analyse(uri: string): Analysis | undefined {
    const abs = toPath(uri);
    const doc = this.open.get(abs);
    if (!doc) return undefined;
    const out = compileFile(abs, { mode: 'check', readFiles: true, host: this.host });
    const modules = new Map((out.program?.modules ?? []).map((m) => [m.display, m]));
    const a: Analysis = { uri, abs, version: doc.version, text: doc.text, out, modules };
    if (out.program) a.module = out.program.entry;
    this.analyses.set(uri, a);
    return a;
  }

  /** The open documents whose last analysis loaded the file `abs` (besides the file itself). */
  importersOf(abs: string): string[] {
    return [...this.analyses.values()].filter((a) => a.abs !== abs && [...a.modules.values()].some((m) => m.abs === abs)).map((a) => a.uri);
  }

  /** The module of a file, from an analysis that loaded it (the freshest parse of an open file). */
  moduleOf(abs: string): Module | undefined {
    const own = [...this.analyses.values()].find((a) => a.abs === abs)?.module;
    if (own) return own;
    for (const a of this.analyses.values()) for (const m of a.modules.values()) if (m.abs === abs) return m;
    return undefined;
  }

  /** Modules to search for references: all the open documents load, and every .siri file under the root. */
  universe(): Module[] {
    const mods = new Map<string, Module>();
    for (const a of this.analyses.values()) if (a.module) mods.set(a.abs, a.module);
    for (const a of this.analyses.values()) for (const m of a.modules.values()) if (!mods.has(m.abs)) mods.set(m.abs, m);
    for (const abs of siriFiles(this.root)) {
      if (mods.has(abs)) continue;
      const p = loadProgram(abs, this.host);
      if (!('error' in p)) for (const m of p.modules) if (!mods.has(m.abs)) mods.set(m.abs, m);
    }
    return [...mods.values()];
  }

  private parse(display: string, text: string): ParseResult {
    const hit = this.parses.get(display);
    if (hit && hit.key === text) return hit.value;
    const value = this.parser.parse(display, text);
    this.parses.set(display, { key: text, value });
    return value;
  }

  private readDisk(abs: string): Buffer | undefined {
    let key: string;
    try {
      const st = fs.statSync(abs);
      if (!st.isFile()) return undefined;
      key = `${st.size}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
    const hit = this.disk.get(abs);
    if (hit && hit.key === key) return hit.value;
    const value = nodeHost.readBytes!(abs) as Buffer | undefined;
    this.disk.set(abs, { key, value });
    return value;
  }
}

/** A path as diagnostics show it (relative to the root, `std/...` for the library) → absolute. */
export function absOfDisplay(a: Analysis, display: string): string | undefined {
  return a.modules.get(display)?.abs;
}

/** Folders never searched for .siri files: dependencies, builds, run outputs, hidden folders. */
const SKIP = new Set(['node_modules', 'dist', 'runs']);
/** A bound on the search, so that a workspace opened at `/` stays responsive. */
const MAX_FILES = 2000;

function siriFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 8 || out.length >= MAX_FILES) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || SKIP.has(e.name)) continue;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs, depth + 1);
      else if (e.isFile() && e.name.endsWith('.siri') && out.length < MAX_FILES) out.push(abs);
    }
  };
  walk(root, 0);
  return out;
}
