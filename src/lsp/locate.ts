// What is at a position of a parsed file: a declaration's name, a key, a value, a reference, an
// import path, a phase. Each comes with the chain of blocks around it, which says which key
// table applies (a `train` block, the record of its `checkpoint`, the arguments of `scratch(...)`).
import type * as A from '../ast/ast.js';

/** A block the position is inside, outermost first. */
export type Frame =
  | { t: 'decl'; decl: A.Declaration }
  | { t: 'nested'; block: A.NestedBlock }
  /** The record `{ ... }` that is the value of `key` in the frame before. */
  | { t: 'record'; key: string }
  /** The arguments of a call that is the value of `key` (undefined for a declaration's base call). */
  | { t: 'call'; call: A.CallExpr; key?: string };

export type Hit =
  | { t: 'declName'; decl: A.Declaration; frames: Frame[] }
  | { t: 'declKind'; decl: A.Declaration; frames: Frame[] }
  | { t: 'param'; decl: A.Declaration; param: A.Param; frames: Frame[] }
  | { t: 'key'; key: A.Ident; frames: Frame[] }
  | { t: 'argName'; name: A.Ident; frames: Frame[] }
  | { t: 'number'; expr: A.NumberExpr; key?: string; frames: Frame[] }
  /** `index`: which name of the path the position is on. */
  | { t: 'ref'; expr: A.RefExpr; index: number; key?: string; frames: Frame[] }
  | { t: 'import'; imp: A.ImportDecl; frames: Frame[] }
  | { t: 'nested'; block: A.NestedBlock; frames: Frame[] };

const inside = (s: A.Span, offset: number): boolean => s.start.offset <= offset && offset <= s.end.offset;

export function locate(file: A.SourceFile, offset: number): Hit | undefined {
  for (const item of file.items) {
    if (!inside(item.span, offset)) continue;
    if (item.kind === 'import') return { t: 'import', imp: item, frames: [] };
    return inDecl(item, offset);
  }
  return undefined;
}

/** The innermost block frames around `offset` (for completion in a file that parsed). */
export function framesAt(file: A.SourceFile, offset: number): Frame[] {
  const decl = file.items.find((i): i is A.Declaration => i.kind === 'declaration' && inside(i.span, offset));
  if (!decl) return [];
  const frames: Frame[] = [{ t: 'decl', decl }];
  let items = decl.body?.items ?? (decl.value ? overrideEntries(decl.value) : []);
  for (;;) {
    const nested = items.find((i): i is A.NestedBlock => i.kind === 'nested' && inside(i.body.span, offset));
    if (!nested) return frames;
    frames.push({ t: 'nested', block: nested });
    items = nested.body.items;
  }
}

function overrideEntries(e: A.Expr): A.Attribute[] {
  const out: A.Attribute[] = [];
  while (e.kind === 'with') {
    out.push(...e.override.entries);
    e = e.base;
  }
  return out;
}

function inDecl(decl: A.Declaration, offset: number): Hit | undefined {
  const frames: Frame[] = [{ t: 'decl', decl }];
  if (inside(decl.name.span, offset)) return { t: 'declName', decl, frames };
  if (inside(decl.declKind.span, offset)) return { t: 'declKind', decl, frames };
  for (const p of decl.params ?? []) {
    if (inside(p.name.span, offset)) return { t: 'param', decl, param: p, frames };
    if (p.default && inside(p.default.span, offset)) return inExpr(p.default, offset, frames, p.name.name);
  }
  if (decl.body) return inBlock(decl.body, offset, frames);
  if (decl.value) return inDeclValue(decl.value, offset, frames);
  return undefined;
}

/** `base(args) with { ... } with { ... }`: the base's arguments and the overrides. */
function inDeclValue(e: A.Expr, offset: number, frames: Frame[]): Hit | undefined {
  if (!inside(e.span, offset)) return undefined;
  if (e.kind === 'with') {
    if (inside(e.override.span, offset)) return inAttributes(e.override.entries, offset, frames);
    return inDeclValue(e.base, offset, frames);
  }
  if (e.kind === 'call') {
    if (inside(e.callee.span, offset)) return refHit(e.callee, offset, frames);
    return inArgs(e, offset, [...frames, { t: 'call', call: e }]);
  }
  return inExpr(e, offset, frames);
}

function inBlock(b: A.Block, offset: number, frames: Frame[]): Hit | undefined {
  for (const item of b.items) {
    if (!inside(item.span, offset)) continue;
    if (item.kind === 'attribute') return inAttribute(item, offset, frames);
    if (inside(item.keyword.span, offset) || (item.label && inside(item.label.span, offset))) {
      if (item.label && 'kind' in item.label && inside(item.label.span, offset)) return inExpr(item.label, offset, frames);
      return { t: 'nested', block: item, frames };
    }
    return inBlock(item.body, offset, [...frames, { t: 'nested', block: item }]);
  }
  return undefined;
}

function inAttributes(entries: A.Attribute[], offset: number, frames: Frame[]): Hit | undefined {
  const a = entries.find((x) => inside(x.span, offset));
  return a ? inAttribute(a, offset, frames) : undefined;
}

function inAttribute(a: A.Attribute, offset: number, frames: Frame[]): Hit | undefined {
  if (inside(a.key.span, offset)) return { t: 'key', key: a.key, frames };
  return inExpr(a.value, offset, frames, a.key.name);
}

function refHit(r: A.RefExpr, offset: number, frames: Frame[], key?: string): Hit {
  const index = Math.max(0, r.path.findIndex((p) => inside(p.span, offset)));
  const hit: Hit = { t: 'ref', expr: r, index, frames };
  if (key !== undefined) hit.key = key;
  return hit;
}

function inArgs(call: A.CallExpr, offset: number, frames: Frame[]): Hit | undefined {
  for (const arg of call.args) {
    if (!inside(arg.span, offset)) continue;
    if (arg.name && inside(arg.name.span, offset)) return { t: 'argName', name: arg.name, frames };
    return inExpr(arg.value, offset, frames, arg.name?.name);
  }
  return undefined;
}

function inExpr(e: A.Expr, offset: number, frames: Frame[], key?: string): Hit | undefined {
  if (!inside(e.span, offset)) return undefined;
  switch (e.kind) {
    case 'number': {
      const hit: Hit = { t: 'number', expr: e, frames };
      if (key !== undefined) hit.key = key;
      return hit;
    }
    case 'ref':
      return refHit(e, offset, frames, key);
    case 'call':
      if (inside(e.callee.span, offset)) return refHit(e.callee, offset, frames, key);
      return inArgs(e, offset, [...frames, key === undefined ? { t: 'call', call: e } : { t: 'call', call: e, key }]);
    case 'list':
      for (const x of e.elements) {
        const h = inExpr(x, offset, frames, key);
        if (h) return h;
      }
      return undefined;
    case 'record':
      return inAttributes(e.entries, offset, key === undefined ? frames : [...frames, { t: 'record', key }]);
    case 'with':
      return inExpr(e.base, offset, frames, key) ?? inExpr(e.override, offset, frames, key);
    case 'range':
    case 'transition':
      return inExpr(e.from, offset, frames, key) ?? inExpr(e.to, offset, frames, key);
    default:
      return undefined;
  }
}

/** Every reference in a file with the template parameters in scope where it is written. */
export function* references(file: A.SourceFile): Generator<{ ref: A.RefExpr; params?: ReadonlySet<string> }> {
  for (const item of file.items) {
    if (item.kind !== 'declaration') continue;
    const params = item.params ? new Set(item.params.map((p) => p.name.name)) : undefined;
    const out: A.RefExpr[] = [];
    for (const p of item.params ?? []) if (p.default) refsOf(p.default, out);
    if (item.body) refsOfBlock(item.body, out);
    if (item.value) refsOf(item.value, out);
    for (const ref of out) yield params ? { ref, params } : { ref };
  }
}

function refsOfBlock(b: A.Block, out: A.RefExpr[]): void {
  for (const item of b.items) {
    if (item.kind === 'attribute') refsOf(item.value, out);
    else {
      if (item.label && 'kind' in item.label) refsOf(item.label, out);
      else if (item.label && item.keyword.name === 'repeat') out.push({ kind: 'ref', span: item.label.span, path: [item.label] });
      refsOfBlock(item.body, out);
    }
  }
}

function refsOf(e: A.Expr, out: A.RefExpr[]): void {
  switch (e.kind) {
    case 'ref':
      out.push(e);
      return;
    case 'call':
      out.push(e.callee);
      for (const a of e.args) refsOf(a.value, out);
      return;
    case 'list':
      for (const x of e.elements) refsOf(x, out);
      return;
    case 'record':
      for (const a of e.entries) refsOf(a.value, out);
      return;
    case 'with':
      refsOf(e.base, out);
      refsOf(e.override, out);
      return;
    case 'range':
    case 'transition':
      refsOf(e.from, out);
      refsOf(e.to, out);
      return;
    default:
      return;
  }
}
