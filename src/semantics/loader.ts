// Loads the entry file and everything it imports: parses each file once, resolves import paths
// (relative files and `std/...`), finds cycles, and indexes each module's declarations.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Declaration, ImportDecl, SourceFile } from '../ast/ast.js';
import { parseFile } from '../ast/build.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import { didYouMean } from '../util/suggest.js';
import { PACKAGE_ROOT } from '../util/package-root.js';

/** Where stdlib/ lives: in the package folder (ending in a separator, for prefix tests). */
export const STDLIB_DIR = path.join(PACKAGE_ROOT, 'stdlib') + path.sep;

/** File access, replaceable in tests. Paths are absolute. */
export interface Host {
  readFile(abs: string): string | undefined;
  listDir(abs: string): string[];
  /** Why a file can't be read (for the error message), if the host can tell. */
  whyUnreadable?(abs: string): string;
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

  function parseModule(abs: string, text: string, display?: string): Module {
    const disp = display ?? displayOf(abs);
    texts.set(disp, text);
    const { file, diagnostics: ds } = parseFile(disp, text);
    diagnostics.push(...ds);
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
        const text = host.readFile(abs);
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

  const text = entryText ?? host.readFile(entryAbs);
  if (text === undefined) {
    const why = host.whyUnreadable?.(entryAbs);
    return { error: diag('E0901', undefined, `cannot read \`${entryDisplay ?? displayOf(entryAbs)}\`${why ? `: ${why}` : ''}`, { help: 'check the path; the file must exist and be readable' }) };
  }
  const entry = parseModule(entryAbs, text, entryDisplay);
  modules.set(entryAbs, entry);
  visit(entry);
  return { entry, modules: [...modules.values()], diagnostics, texts };
}

export function stdModules(host: Host = nodeHost): string[] {
  return host
    .listDir(path.join(STDLIB_DIR, 'std'))
    .filter((f) => f.endsWith('.siri'))
    .map((f) => `std/${f.slice(0, -5)}`)
    .sort();
}
