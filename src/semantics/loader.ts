// Loads the entry file and everything it imports: parses each file once, resolves import paths
// (relative files and `std/...`), finds cycles, and indexes each module's declarations.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Declaration, ImportDecl, SourceFile } from '../ast/ast.js';
import { parseFile, type ParseResult } from '../ast/build.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import { posAt } from '../syntax/errors.js';
import { didYouMean } from '../util/suggest.js';
import { PACKAGE_ROOT } from '../util/package-root.js';

/** Where stdlib/ lives: in the package folder (ending in a separator, for prefix tests). */
export const STDLIB_DIR = path.join(PACKAGE_ROOT, 'stdlib') + path.sep;

/** File access, replaceable in tests. Paths are absolute. */
export interface Host {
  readFile(abs: string): string | undefined;
  /** The file's bytes, when the host has them: then the loader checks the encoding itself. */
  readBytes?(abs: string): Uint8Array | undefined;
  listDir(abs: string): string[];
  /** Why a file can't be read (for the error message), if the host can tell. */
  whyUnreadable?(abs: string): string;
  /** Parses a file, when the host keeps parses between compilations (the language server does). */
  parse?(display: string, text: string): ParseResult;
  cwd: string;
}

export const nodeHost: Host = {
  readFile(abs) {
    try {
      return fs.readFileSync(abs, 'utf8');
    } catch {
      return undefined;
    }
  },
  readBytes(abs) {
    try {
      return fs.readFileSync(abs);
    } catch {
      return undefined;
    }
  },
  listDir(abs) {
    try {
      return fs.readdirSync(abs);
    } catch {
      return [];
    }
  },
  whyUnreadable(abs) {
    try {
      if (fs.statSync(abs).isDirectory()) return 'it is a folder';
      fs.accessSync(abs, fs.constants.R_OK);
      return 'it cannot be read';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code ?? 'it cannot be read';
    }
  },
  cwd: process.cwd(),
};

export interface ImportEdge {
  decl: ImportDecl;
  module?: Module;
}

export interface Module {
  /** Absolute path, the identity of the module. */
  abs: string;
  /** The path shown in diagnostics: relative to the working directory, or `std/x.siri`. */
  display: string;
  /** The path recorded in the IR: relative to the entry file's folder, or `std/x.siri`. */
  irPath: string;
  isStd: boolean;
  file: SourceFile;
  /** Namespace name → import. */
  imports: Map<string, ImportEdge>;
  decls: Map<string, Declaration>;
}

export interface Program {
  entry: Module;
  modules: Module[];
  diagnostics: Diagnostic[];
  /** display path → text, for rendering diagnostics. */
  texts: Map<string, string>;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

export function loadProgram(entryAbs: string, host: Host = nodeHost, entryText?: string, entryDisplay?: string): Program | { error: Diagnostic } {
  const entryDir = path.dirname(entryAbs);
  const modules = new Map<string, Module>();
  const diagnostics: Diagnostic[] = [];
  const texts = new Map<string, string>();

  const isStdPath = (abs: string): boolean => abs.startsWith(STDLIB_DIR);
  const displayOf = (abs: string): string => (isStdPath(abs) ? toPosix(path.relative(STDLIB_DIR, abs)) : toPosix(path.relative(host.cwd, abs)) || path.basename(abs));
  const irPathOf = (abs: string): string => (isStdPath(abs) ? toPosix(path.relative(STDLIB_DIR, abs)) : toPosix(path.relative(entryDir, abs)));

  function parseModule(abs: string, source: Source, display?: string): Module {
    const disp = display ?? displayOf(abs);
    const text = source.text.startsWith('\uFEFF') ? source.text.slice(1) : source.text; // a BOM is not content
    texts.set(disp, text);
    const { file, diagnostics: ds } = source.badByte !== undefined ? { file: emptyFile(disp, text), diagnostics: [notUtf8(disp, text, source.badByte)] } : host.parse ? host.parse(disp, text) : parseFile(disp, text);
    for (const d of ds) diagnostics.push(d);
    const mod: Module = { abs, display: disp, irPath: irPathOf(abs), isStd: isStdPath(abs), file, imports: new Map(), decls: new Map() };
    for (const item of file.items) {
      if (item.kind !== 'declaration') continue;
      const prev = mod.decls.get(item.name.name);
      if (prev) {
        diagnostics.push(
          diag('E0203', item.name.span, `\`${item.name.name}\` is declared more than once`, {
            label: 'declared again here',
            help: 'names are shared by all declarations of a file: rename one of them',
            related: [{ message: `first declared as a \`${prev.declKind.name}\``, span: prev.name.span }],
          }),
        );
      } else mod.decls.set(item.name.name, item);
    }
    return mod;
  }

  function resolveImport(from: Module, spec: string): string | undefined {
    const withExt = (p: string): string => (p.endsWith('.siri') ? p : `${p}.siri`);
    if (spec.startsWith('std/')) return path.join(STDLIB_DIR, withExt(spec));
    return path.resolve(path.dirname(from.abs), withExt(spec));
  }

  function candidatesNear(abs: string, spec: string): string[] {
    const dir = path.dirname(abs);
    const names = host.listDir(dir).filter((f) => f.endsWith('.siri')).map((f) => f.slice(0, -5));
    const prefix = spec.includes('/') ? spec.slice(0, spec.lastIndexOf('/') + 1) : '';
    return names.map((n) => prefix + n);
  }

  // Depth-first so that a cycle is seen as a path on the stack.
  const stack: Module[] = [];
  function visit(mod: Module): void {
    stack.push(mod);
    for (const item of mod.file.items) {
      if (item.kind !== 'import') continue;
      const spec = item.path.value;
      const ns = item.alias?.name ?? path.basename(spec).replace(/\.siri$/, '');
      const abs = resolveImport(mod, spec);
      const nameSpan = item.alias?.span ?? item.path.span;
      if (mod.imports.has(ns)) {
        diagnostics.push(diag('E0208', nameSpan, `two imports are both named \`${ns}\``, { label: 'second import with this name', help: `give one of them another name: \`import "${spec}" as other\`` }));
        continue;
      }
      if (mod.decls.has(ns)) {
        diagnostics.push(diag('E0208', nameSpan, `the import name \`${ns}\` is also the name of a declaration`, { label: 'clashes with a declaration', help: `rename the import: \`import "${spec}" as ${ns}_lib\`` }));
        continue;
      }
      const edge: ImportEdge = { decl: item };
      mod.imports.set(ns, edge);
      if (!abs) continue;
      const onStack = stack.find((m) => m.abs === abs);
      if (onStack) {
        const chain = [...stack.slice(stack.indexOf(onStack)).map((m) => m.display), onStack.display].join(' → ');
        diagnostics.push(diag('E0207', item.path.span, `import cycle: ${chain}`, { label: 'this import closes the cycle', help: 'move the shared declarations into a third file that both import' }));
        continue;
      }
      let target = modules.get(abs);
      if (!target) {
        const text = readSource(host, abs);
        if (text === undefined) {
          const hint = didYouMean(spec, candidatesNear(abs, spec));
          const where = spec.startsWith('std/') ? 'in the standard library' : `at ${displayOf(abs)}`;
          diagnostics.push(
            diag('E0206', item.path.span, `cannot find the file \`${spec}\` ${where}`, {
              label: 'no such file',
              help: hint || (spec.startsWith('std/') ? `the standard library has: ${stdModules(host).join(', ')}` : 'paths are relative to the importing file; check the spelling'),
            }),
          );
          continue;
        }
        target = parseModule(abs, text);
        modules.set(abs, target);
        visit(target);
      }
      edge.module = target;
    }
    stack.pop();
  }

  const text = entryText !== undefined ? { text: entryText } : readSource(host, entryAbs);
  if (text === undefined) {
    const why = host.whyUnreadable?.(entryAbs);
    return { error: diag('E0901', undefined, `cannot read \`${entryDisplay ?? displayOf(entryAbs)}\`${why ? `: ${why}` : ''}`, { help: 'check the path; the file must exist and be readable' }) };
  }
  const entry = parseModule(entryAbs, text, entryDisplay);
  modules.set(entryAbs, entry);
  visit(entry);
  return { entry, modules: [...modules.values()], diagnostics, texts };
}

/** A file's text; `badByte` is the offset (in the lossily decoded text) of its first invalid UTF-8 sequence. */
export interface Source {
  text: string;
  badByte?: number;
}

function readSource(host: Host, abs: string): Source | undefined {
  if (!host.readBytes) {
    const text = host.readFile(abs);
    return text === undefined ? undefined : { text };
  }
  const bytes = host.readBytes(abs);
  return bytes === undefined ? undefined : decodeSource(bytes);
}

/** Bytes → text, checked: `badByte` says where the first invalid UTF-8 sequence is. */
export function decodeSource(bytes: Uint8Array): Source {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    const bad = firstBadUtf8(bytes);
    const lossy = (b: Uint8Array): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);
    const prefix = lossy(bytes.subarray(0, bad));
    return { text: prefix + lossy(bytes.subarray(bad)), badByte: prefix.length };
  }
}

/** The index of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629 table). */
function firstBadUtf8(b: Uint8Array): number {
  const cont = (i: number, lo = 0x80, hi = 0xbf): boolean => i < b.length && b[i]! >= lo && b[i]! <= hi;
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n: number;
    if (c < 0x80) n = 1;
    else if (c >= 0xc2 && c <= 0xdf) n = cont(i + 1) ? 2 : 0;
    else if (c === 0xe0) n = cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
    else if (c === 0xed) n = cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
    else if (c >= 0xe1 && c <= 0xef) n = cont(i + 1) && cont(i + 2) ? 3 : 0;
    else if (c === 0xf0) n = cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (c === 0xf4) n = cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (c >= 0xf1 && c <= 0xf3) n = cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else n = 0;
    if (n === 0) return i;
    i += n;
  }
  return b.length;
}

const emptyFile = (disp: string, text: string): SourceFile => ({ path: disp, text, items: [], comments: [] });

export function notUtf8(file: string, text: string, offset: number): Diagnostic {
  const start = posAt(text, offset);
  return diag('E0902', { file, start, end: { offset: offset + 1, line: start.line, column: start.column + 1 } }, `\`${file}\` is not UTF-8 text`, {
    label: 'an invalid UTF-8 byte',
    help: "a .siri file is UTF-8 text: check the path, or save the file as UTF-8 in your editor",
  });
}

export function stdModules(host: Host = nodeHost): string[] {
  return host
    .listDir(path.join(STDLIB_DIR, 'std'))
    .filter((f) => f.endsWith('.siri'))
    .map((f) => `std/${f.slice(0, -5)}`)
    .sort();
}
