// Completion from the tokens before the cursor (the text being typed rarely parses): which block
// the cursor is in, and whether it stands where a key, a value, a unit or an import path goes.
// Keys, options and functions come from the checker's key tables; names from the loaded modules.
import * as path from 'node:path';
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from 'vscode-languageserver';
import type { IToken } from 'chevrotain';
import type * as A from '../ast/ast.js';
import { stdModules, type Module } from '../semantics/loader.js';
import * as S from '../semantics/schemas.js';
import { TASKS } from '../semantics/tasks.js';
import { describeSpec, own, type KeyTable, type Spec } from '../semantics/types.js';
import { Equals, Identifier, LCurly, LParen, LSquare, NumberLiteral, RCurly, RParen, RSquare, SiriLexer, With, Comma } from '../syntax/tokens.js';
import { declTable, fnOf, fnsOf, keyMarkdown, recordOf, unitOf } from './keys.js';
import { docComment, variantOf } from './resolve.js';
import type { Analysis, Workspace } from './workspace.js';

/** A bracket the cursor is inside, and what it opened. */
interface Open {
  bracket: '{' | '(' | '[';
  kind: 'decl' | 'nested' | 'record' | 'call' | 'list' | 'params' | 'other';
  /** decl: its kind and name; nested: `phase`/`repeat`; record/list/call: the key it is the value of. */
  declKind?: string;
  declName?: string;
  keyword?: string;
  key?: string;
  callee?: string;
  /** The first argument of a call (`generated("arithmetic", ...)`). */
  firstArg?: string;
  /** Keys (or argument names) already written in this bracket. */
  written: Set<string>;
}

const UNITS = ['steps', 'tokens', 'prompts', 'responses', 'rows'];

export function complete(a: Analysis, offset: number, ws: Workspace): CompletionItem[] {
  const prefix = a.text.slice(0, offset);
  const line = prefix.slice(prefix.lastIndexOf('\n') + 1);
  const imp = /^\s*import\s+"([^"]*)$/.exec(line);
  if (imp) return importPaths(imp[1]!, path.dirname(a.abs), a.abs, ws);
  if (/#/.test(line.replace(/"[^"]*"/g, ''))) return []; // in a comment

  const tokens = SiriLexer.tokenize(prefix).tokens;
  const last = tokens[tokens.length - 1];
  if (last && last.tokenType === Identifier && last.endOffset! + 1 === offset) tokens.pop();
  const atLineStart = /^\s*[A-Za-z_0-9]*$/.test(line);
  const stack = openBrackets(tokens);
  const prev = tokens[tokens.length - 1];
  const cur = stack[stack.length - 1];
  const mod = a.module;
  const variant = mod ? variantOf(a, mod) : () => undefined;
  const variantByName = (name: string | undefined): string | undefined => {
    const d = name !== undefined ? mod?.decls.get(name) : undefined;
    return d ? variant(d) : undefined;
  };

  if (prev?.tokenType === NumberLiteral && !atLineStart) return units(cur && prev ? keySpec(stack, tokens, variantByName) : undefined);
  if (!cur) {
    const t = tokens;
    if (prev?.tokenType === Equals && t.length >= 3 && t[t.length - 3]!.tokenType === Identifier) return declValues(t[t.length - 3]!.image, mod, t[t.length - 2]!.image);
    return atLineStart ? [...S.DECL_KINDS.map((k) => ({ label: k, kind: CompletionItemKind.Keyword })), { label: 'import', kind: CompletionItemKind.Keyword }] : [];
  }
  if (prev?.tokenType === Equals) {
    const spec = keySpec(stack, tokens, variantByName);
    return spec ? valueItems(spec, mod) : [];
  }
  if (cur.bracket === '[' && (prev?.tokenType === LSquare || prev?.tokenType === Comma)) {
    const spec = tableOf(stack.slice(0, -1), variantByName)?.[cur.key ?? '']?.spec;
    return spec ? valueItems(spec, mod) : [];
  }
  const keyPosition = atLineStart || prev?.tokenType === LCurly || prev?.tokenType === LParen || prev?.tokenType === Comma;
  if (!keyPosition) return [];
  if (cur.kind === 'call' && cur.key === undefined) return templateParams(cur, mod);
  const table = tableOf(stack, variantByName);
  if (!table) return [];
  const items: CompletionItem[] = Object.entries(table)
    .filter(([k]) => !cur.written.has(k))
    .map(([k, ks]) => ({ label: k, kind: CompletionItemKind.Property, detail: describeSpec(ks.spec), documentation: { kind: 'markdown', value: keyMarkdown(k, ks, cur.declKind ?? cur.keyword ?? cur.key ?? '') }, insertText: `${k} = ` }));
  if (cur.kind === 'decl' && cur.declKind === 'schedule') items.push(snippet('phase', 'phase ${1:name} {\n\tsteps = ${2:100} steps\n\tmax_tokens = ${3:cosine(4k -> 2k)}\n}'), snippet('repeat', 'repeat ${1:3} {\n\t$0\n}'));
  if (cur.kind === 'nested' && cur.keyword === 'repeat') items.push(snippet('phase', 'phase ${1:name} {\n\tsteps = ${2:100} steps\n\tmax_tokens = ${3:cosine(4k -> 2k)}\n}'));
  return items;
}

const snippet = (label: string, text: string): CompletionItem => ({ label, kind: CompletionItemKind.Snippet, insertText: text, insertTextFormat: InsertTextFormat.Snippet });

/** The brackets open at the end of `tokens`, each with what opened it. */
function openBrackets(tokens: IToken[]): Open[] {
  const stack: Open[] = [];
  let decl: { kind: string; name: string } | undefined;
  tokens.forEach((t, i) => {
    const p1 = tokens[i - 1];
    const p2 = tokens[i - 2];
    const top = stack[stack.length - 1];
    if (t.tokenType === Identifier && stack.length === 0 && p1?.tokenType === Identifier && (!p2 || [RCurly, RParen, RSquare].includes(p2.tokenType) || p2.tokenType === Identifier || p2.tokenType === NumberLiteral || p2.image.startsWith('"')))
      decl = { kind: p1.image, name: t.image };
    if (t.tokenType === Identifier && tokens[i + 1]?.tokenType === Equals) top?.written.add(t.image);
    if (t.tokenType === LCurly) {
      const written = new Set<string>();
      if (stack.length === 0 || (p1?.tokenType === With && stack.length === 0)) stack.push({ bracket: '{', kind: 'decl', declKind: decl?.kind, declName: decl?.name, written } as Open);
      else if (p1?.tokenType === Equals && p2?.tokenType === Identifier) stack.push({ bracket: '{', kind: 'record', key: p2.image, written });
      else if (p1?.image === 'phase' || p1?.image === 'repeat') stack.push({ bracket: '{', kind: 'nested', keyword: p1.image, written });
      else if (p2?.image === 'phase' || p2?.image === 'repeat') stack.push({ bracket: '{', kind: 'nested', keyword: p2.image, written });
      else stack.push({ bracket: '{', kind: 'other', written });
    } else if (t.tokenType === LParen) {
      let j = i - 1;
      while (j >= 2 && tokens[j - 1]?.image === '.' && tokens[j - 2]?.tokenType === Identifier) j -= 2;
      const callee = tokens.slice(j, i).map((x) => x.image).join('');
      const before = tokens[j - 1];
      const open: Open = { bracket: '(', kind: 'call', callee, written: new Set() };
      const arg = tokens[i + 1];
      if (arg?.image.startsWith('"')) open.firstArg = arg.image.slice(1, -1);
      if (stack.length === 0 && before?.tokenType === Identifier) open.kind = 'params';
      else if (before?.tokenType === Equals && tokens[j - 2]?.tokenType === Identifier && stack.length > 0) open.key = tokens[j - 2]!.image;
      stack.push(open);
    } else if (t.tokenType === LSquare) {
      const open: Open = { bracket: '[', kind: 'list', written: new Set() };
      if (p1?.tokenType === Equals && p2?.tokenType === Identifier) open.key = p2.image;
      stack.push(open);
    } else if (t.tokenType === RCurly || t.tokenType === RParen || t.tokenType === RSquare) {
      stack.pop();
      if (stack.length === 0 && t.tokenType === RCurly) decl = undefined;
    }
  });
  return stack;
}

/** The key table inside the innermost bracket of `stack`. */
function tableOf(stack: Open[], variantByName: (name: string | undefined) => string | undefined): KeyTable | undefined {
  let table: KeyTable | undefined;
  for (const o of stack) {
    if (o.kind === 'decl') table = o.declKind ? declTable(o.declKind, variantByName(o.declName)) : undefined;
    else if (o.kind === 'nested') table = o.keyword === 'phase' ? S.PHASE_KEYS : {};
    else if (o.kind === 'record') table = recordOf(table && own(table, o.key!)?.spec);
    else if (o.kind === 'call') table = o.callee === 'generated' ? (o.firstArg ? own(TASKS, o.firstArg)?.params : undefined) : o.key === undefined ? undefined : fnOf(table && own(table, o.key)?.spec, o.callee!)?.params;
    else if (o.kind === 'list') continue;
    else table = undefined;
  }
  return table;
}

/** The spec of the key whose value is being written (`key = |`). */
function keySpec(stack: Open[], tokens: IToken[], variantByName: (name: string | undefined) => string | undefined): Spec | undefined {
  let i = tokens.length - 1;
  while (i >= 0 && tokens[i]!.tokenType !== Equals) i--;
  const key = tokens[i - 1]?.image;
  const cur = stack[stack.length - 1];
  const inList = cur?.kind === 'list';
  const table = tableOf(inList ? stack.slice(0, -1) : stack, variantByName);
  return key && table ? own(table, inList ? cur!.key ?? key : key)?.spec : undefined;
}

function units(spec: Spec | undefined): CompletionItem[] {
  const unit = unitOf(spec);
  return UNITS.map((u) => ({ label: u, kind: CompletionItemKind.Unit, sortText: u === unit ? '0' : `1${u}`, preselect: u === unit }));
}

/** Declarations visible from `mod` (its own and, qualified, its imports'). */
function visibleDecls(mod: Module | undefined): { name: string; mod: Module; decl: A.Declaration }[] {
  if (!mod) return [];
  const out = [...mod.decls.values()].map((decl) => ({ name: decl.name.name, mod, decl }));
  for (const [ns, edge] of mod.imports) for (const decl of edge.module?.decls.values() ?? []) out.push({ name: `${ns}.${decl.name.name}`, mod: edge.module!, decl });
  return out;
}

function valueItems(spec: Spec, mod: Module | undefined): CompletionItem[] {
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  const add = (item: CompletionItem): void => {
    if (seen.has(item.label)) return;
    seen.add(item.label);
    out.push(item);
  };
  const walk = (s: Spec): void => {
    if (s.k === 'enum') for (const v of s.values) add({ label: v, kind: CompletionItemKind.EnumMember });
    else if (s.k === 'bool') for (const v of ['true', 'false']) add({ label: v, kind: CompletionItemKind.Keyword });
    else if (s.k === 'ref') {
      for (const d of visibleDecls(mod)) if (d.decl.declKind.name === s.kind && !d.decl.params) add({ label: d.name, kind: CompletionItemKind.Reference, detail: s.kind, documentation: docComment(d.mod, d.decl) });
    } else if (s.k === 'list') walk(s.of);
    else if (s.k === 'oneOf') s.options.forEach(walk);
    for (const [name, fn] of Object.entries(fnsOf(s))) add({ label: name, kind: CompletionItemKind.Function, detail: `${name}(${Object.keys(fn.params).join(', ')})`, documentation: fn.doc, insertText: `${name}($1)`, insertTextFormat: InsertTextFormat.Snippet });
  };
  walk(spec);
  return out;
}

/** After `kind name =`: presets to derive from and templates to instantiate, with their parameters. */
function declValues(kind: string, mod: Module | undefined, self: string): CompletionItem[] {
  return visibleDecls(mod)
    .filter((d) => d.decl.declKind.name === kind && d.name !== self)
    .map((d) => {
      const params = d.decl.params;
      if (!params) return { label: d.name, kind: CompletionItemKind.Reference, detail: `${kind} preset`, documentation: docComment(d.mod, d.decl), insertText: `${d.name} with {\n\t$0\n}`, insertTextFormat: InsertTextFormat.Snippet };
      const required = params.filter((p) => !p.default);
      const sig = params.map((p) => (p.default ? `${p.name.name} = …` : p.name.name)).join(', ');
      return { label: `${d.name}(${sig})`, filterText: d.name, kind: CompletionItemKind.Function, detail: `${kind} template`, documentation: docComment(d.mod, d.decl), insertText: `${d.name}(${required.map((p, i) => `${p.name.name} = \${${i + 1}}`).join(', ')})`, insertTextFormat: InsertTextFormat.Snippet };
    });
}

/** Inside `template(`: its parameters not yet given. */
function templateParams(cur: Open, mod: Module | undefined): CompletionItem[] {
  const d = visibleDecls(mod).find((x) => x.name === cur.callee);
  return (d?.decl.params ?? [])
    .filter((p) => !cur.written.has(p.name.name))
    .map((p) => ({ label: p.name.name, kind: CompletionItemKind.Variable, detail: p.default ? `default ${d!.mod.file.text.slice(p.default.span.start.offset, p.default.span.end.offset)}` : 'required', insertText: `${p.name.name} = ` }));
}

/** `std/...` modules and .siri files (and folders) relative to the importing file. */
function importPaths(partial: string, dir: string, self: string, ws: Workspace): CompletionItem[] {
  const out: CompletionItem[] = stdModules(ws.host).map((m) => ({ label: m, kind: CompletionItemKind.Module }));
  const sub = partial.includes('/') ? partial.slice(0, partial.lastIndexOf('/') + 1) : '';
  if (sub.startsWith('std/')) return out;
  const folder = path.resolve(dir, sub);
  for (const name of ws.host.listDir(folder)) {
    const abs = path.join(folder, name);
    if (name.startsWith('.') || abs === self) continue;
    if (name.endsWith('.siri')) out.push({ label: sub + name.slice(0, -5), kind: CompletionItemKind.File });
    else if (!name.includes('.') && ws.host.listDir(abs).length) out.push({ label: `${sub}${name}/`, kind: CompletionItemKind.Folder });
  }
  return out;
}
