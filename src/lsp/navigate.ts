// Go to definition, find references and rename, across every file the workspace's documents load
// and every .siri file under the workspace folder; std/ is searched but never renamed.
import { LSPErrorCodes, ResponseError, type Location, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver';
import type * as A from '../ast/ast.js';
import { resolveDecl } from '../semantics/elaborate.js';
import type { Module } from '../semantics/loader.js';
import { toRange, toUri } from './convert.js';
import { locate, references } from './locate.js';
import { targetOf, targetSpan, type Target } from './resolve.js';
import type { Analysis } from './workspace.js';

export function targetAt(a: Analysis, offset: number): Target | undefined {
  const mod = a.module;
  const hit = mod && locate(mod.file, offset);
  return hit ? targetOf(mod, hit) : undefined;
}

export function definition(a: Analysis, offset: number): Location | undefined {
  const t = targetAt(a, offset);
  return t ? { uri: toUri(t.mod.abs), range: toRange(targetSpan(t)) } : undefined;
}

/** Where a target is named: its declaration and every reference that resolves to it. */
export function referencesOf(t: Target, universe: Iterable<Module>): { mod: Module; span: A.Span }[] {
  const out: { mod: Module; span: A.Span }[] = [];
  if (t.t === 'module') return out;
  out.push({ mod: t.mod, span: targetSpan(t) });
  if (t.t === 'param') {
    for (const { ref, params } of references(t.mod.file)) {
      if (ref.path.length === 1 && params?.has(t.param.name.name) && t.decl.span.start.offset <= ref.span.start.offset && ref.span.end.offset <= t.decl.span.end.offset) out.push({ mod: t.mod, span: ref.path[0]!.span });
    }
    return out;
  }
  const seen = new Set<string>();
  for (const mod of universe) {
    if (seen.has(mod.abs)) continue;
    seen.add(mod.abs);
    for (const { ref, params } of references(mod.file)) {
      const [first] = ref.path;
      if (!first || (ref.path.length === 1 && params?.has(first.name))) continue;
      const qualified = ref.path.length >= 2 && mod.imports.has(first.name);
      const found = resolveDecl(mod, qualified ? ref.path.slice(0, 2) : [first]);
      if (found && found.mod.abs === t.mod.abs && found.decl.name.name === t.decl.name.name) out.push({ mod, span: ref.path[qualified ? 1 : 0]!.span });
    }
  }
  return out;
}

export function locations(refs: { mod: Module; span: A.Span }[]): Location[] {
  return refs.map((r) => ({ uri: toUri(r.mod.abs), range: toRange(r.span) }));
}

const KEYWORDS = new Set(['import', 'as', 'with', 'true', 'false']);

export function rename(t: Target | undefined, newName: string, universe: Iterable<Module>): WorkspaceEdit {
  if (!t) throw new ResponseError(LSPErrorCodes.RequestFailed, 'there is no declaration here to rename');
  if (t.t === 'module') throw new ResponseError(LSPErrorCodes.RequestFailed, 'this names a file: rename the file, then its imports');
  if (t.mod.isStd) throw new ResponseError(LSPErrorCodes.RequestFailed, `\`${t.t === 'decl' ? t.decl.name.name : t.param.name.name}\` is declared in the standard library (\`${t.mod.display}\`), which is read-only`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName) || KEYWORDS.has(newName)) throw new ResponseError(LSPErrorCodes.RequestFailed, `\`${newName}\` is not a name: use letters, digits and \`_\`, not starting with a digit, and not a keyword`);
  const changes: Record<string, TextEdit[]> = {};
  for (const r of referencesOf(t, universe)) {
    const uri = toUri(r.mod.abs);
    const edits = (changes[uri] ??= []);
    if (!edits.some((e) => e.range.start.line === r.span.start.line - 1 && e.range.start.character === r.span.start.column - 1)) edits.push({ range: toRange(r.span), newText: newName });
  }
  return { changes };
}
