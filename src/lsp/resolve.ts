// From a position to what it names: a declaration (in this file, an import, or std/), an imported
// file, a template parameter. Names are looked up by the elaborator's own rule (resolveDecl).
import type * as A from '../ast/ast.js';
import { resolveDecl } from '../semantics/elaborate.js';
import type { Module } from '../semantics/loader.js';
import { own } from '../semantics/types.js';
import { VARIANT_KEY } from './keys.js';
import type { Hit } from './locate.js';
import type { Analysis } from './workspace.js';

export type Target =
  | { t: 'decl'; mod: Module; decl: A.Declaration }
  | { t: 'module'; mod: Module }
  | { t: 'param'; mod: Module; decl: A.Declaration; param: A.Param };

export function targetOf(mod: Module, hit: Hit): Target | undefined {
  switch (hit.t) {
    case 'declName':
      return { t: 'decl', mod, decl: hit.decl };
    case 'param':
      return { t: 'param', mod, decl: hit.decl, param: hit.param };
    case 'import': {
      const edge = [...mod.imports.values()].find((e) => e.decl === hit.imp);
      return edge?.module ? { t: 'module', mod: edge.module } : undefined;
    }
    case 'ref': {
      const path = hit.expr.path;
      const first = path[0];
      if (!first) return undefined;
      const owner = hit.frames[0]?.t === 'decl' ? hit.frames[0].decl : undefined;
      const param = path.length === 1 ? owner?.params?.find((p) => p.name.name === first.name) : undefined;
      if (param && owner) return { t: 'param', mod, decl: owner, param };
      const imp = mod.imports.get(first.name);
      if (imp && path.length >= 2) {
        if (hit.index === 0) return imp.module ? { t: 'module', mod: imp.module } : undefined;
        const found = resolveDecl(mod, path.slice(0, 2));
        return found ? { t: 'decl', ...found } : undefined;
      }
      const found = resolveDecl(mod, [first], owner?.params ? new Map(owner.params.map((p) => [p.name.name, p])) : undefined);
      return found ? { t: 'decl', ...found } : undefined;
    }
    default:
      return undefined;
  }
}

/** The span a target is declared at (a file's first character for a module). */
export function targetSpan(t: Target): A.Span {
  if (t.t === 'decl') return t.decl.name.span;
  if (t.t === 'param') return t.param.name.span;
  const p = { offset: 0, line: 1, column: 1 };
  return { file: t.mod.display, start: p, end: p };
}

/** The `algorithm` of a train stage or `kind` of a reward, also when a preset sets it. */
export function variantOf(a: Analysis | undefined, mod: Module): (decl: A.Declaration) => string | undefined {
  return (decl) => {
    const v = own(VARIANT_KEY, decl.declKind.name);
    if (!v) return undefined;
    const elab = a?.out.result?.elaborator;
    const value = elab?.instances.get(elab.idOf(mod, decl))?.entries.get(v.key)?.value;
    if (value?.t === 'sym') return value.name;
    const written = decl.body?.items.find((i): i is A.Attribute => i.kind === 'attribute' && i.key.name === v.key)?.value;
    return written?.kind === 'ref' && written.path.length === 1 ? written.path[0]!.name : undefined;
  };
}

/** The comment lines right above a declaration: its documentation. */
export function docComment(mod: Module, decl: A.Declaration): string {
  const lines: string[] = [];
  let line = decl.span.start.line - 1;
  const byLine = new Map(mod.file.comments.map((c) => [c.span.start.line, c]));
  for (let c = byLine.get(line); c && c.span.start.column === 1; c = byLine.get(--line)) lines.unshift(c.text.replace(/^#\s?/, ''));
  return lines.join('\n').trim();
}

/** `schedule siri(low, high, phase_steps, cycles = 3)`: a declaration's head. */
export function signature(decl: A.Declaration, text: string): string {
  const params = decl.params?.map((p) => (p.default ? `${p.name.name} = ${text.slice(p.default.span.start.offset, p.default.span.end.offset)}` : p.name.name));
  return `${decl.declKind.name} ${decl.name.name}${params ? `(${params.join(', ')})` : ''}`;
}
