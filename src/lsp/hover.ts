// Hover: a key's documentation (type, unit, default, range), a number's resolved value, what a
// reference names, and where a schedule's phases run with their budgets.
import type { Hover } from 'vscode-languageserver';
import type * as A from '../ast/ast.js';
import type { Module } from '../semantics/loader.js';
import { own, type KeySpec } from '../semantics/types.js';
import { toRange } from './convert.js';
import { keyMarkdown, tableAt, unitOf } from './keys.js';
import { locate, type Frame } from './locate.js';
import { docComment, signature, targetOf, variantOf, type Target } from './resolve.js';
import { countedFrom, describeRuns, runsOfPhase, scheduleRuns } from './schedule-info.js';
import type { Analysis } from './workspace.js';

const code = (s: string): string => '```siri\n' + s + '\n```';

export function hover(a: Analysis, offset: number, all: readonly Analysis[]): Hover | undefined {
  const mod = a.module;
  if (!mod) return undefined;
  const hit = locate(mod.file, offset);
  if (!hit) return undefined;
  const variant = variantOf(a, mod);
  const md = (value: string, span: A.Span): Hover => ({ contents: { kind: 'markdown', value }, range: toRange(span) });
  switch (hit.t) {
    case 'key':
    case 'argName': {
      const name = hit.t === 'key' ? hit.key : hit.name;
      const ks = keyAt(hit.frames, name.name, variant);
      if (ks) return md(keyMarkdown(name.name, ks, ownerOf(hit.frames, variant)), name.span);
      const param = templateParam(mod, hit.frames, name.name);
      return param ? md(`**${name.name}**: a parameter of \`${param.decl.name.name}\`${param.param.default ? ` (default \`${textOf(param.mod, param.param.default.span)}\`)` : ' (required)'}`, name.span) : undefined;
    }
    case 'number': {
      const e = hit.expr;
      const spec = hit.key === undefined ? undefined : keyAt(hit.frames, hit.key, variant)?.spec;
      const unit = e.unit?.canonical ?? unitOf(spec);
      const value = `${e.value.toLocaleString('en-US').replace(/,/g, '')}${unit ? ` ${unit}` : ''}`;
      return md(`\`${e.raw}\` = **${value}**`, e.span);
    }
    case 'nested': {
      const runs = hit.block.keyword.name === 'phase' && hit.block.label && !('kind' in hit.block.label) ? runsOfPhase(all, hit.block.label.span) : undefined;
      if (!runs) return undefined;
      return md([`**phase ${hit.block.label && !('kind' in hit.block.label) ? hit.block.label.name : ''}** — ${countedFrom(runs)}`, '', ...describeRuns(runs).map((l) => `- ${l}`)].join('\n'), hit.block.keyword.span);
    }
    default: {
      const t = targetOf(mod, hit);
      if (!t) return undefined;
      const span = hit.t === 'ref' ? hit.expr.path[hit.index]!.span : hit.t === 'declName' ? hit.decl.name.span : hit.t === 'param' ? hit.param.name.span : hit.t === 'import' ? hit.imp.path.span : hit.decl.declKind.span;
      return md(describeTarget(t, all), span);
    }
  }
}

function keyAt(frames: readonly Frame[], name: string, variant: ReturnType<typeof variantOf>): KeySpec | undefined {
  const table = tableAt(frames, variant);
  return table ? own(table, name) : undefined;
}

function ownerOf(frames: readonly Frame[], variant: ReturnType<typeof variantOf>): string {
  const parts: string[] = [];
  for (const f of frames) {
    if (f.t === 'decl') {
      const v = variant(f.decl);
      parts.push(`\`${f.decl.declKind.name}\`${v ? ` with ${f.decl.declKind.name === 'train' ? 'algorithm' : 'kind'} \`${v}\`` : ''}`);
    } else if (f.t === 'nested') parts.push(`\`${f.block.keyword.name}\``);
    else if (f.t === 'record') parts.push(`\`${f.key}\``);
    else parts.push(`\`${f.call.callee.path.map((p) => p.name).join('.')}(...)\``);
  }
  return parts.join(' › ');
}

/** A parameter of the template a declaration's base call instantiates (`schedules.siri(low = ...)`). */
function templateParam(mod: Module, frames: readonly Frame[], name: string): { mod: Module; decl: A.Declaration; param: A.Param } | undefined {
  const f = frames[frames.length - 1];
  if (f?.t !== 'call') return undefined;
  const t = targetOf(mod, { t: 'ref', expr: f.call.callee, index: f.call.callee.path.length - 1, frames: frames.slice(0, 1) });
  if (t?.t !== 'decl') return undefined;
  const param = t.decl.params?.find((p) => p.name.name === name);
  return param ? { mod: t.mod, decl: t.decl, param } : undefined;
}

const textOf = (mod: Module, s: A.Span): string => mod.file.text.slice(s.start.offset, s.end.offset);

export function describeTarget(t: Target, all: readonly Analysis[]): string {
  if (t.t === 'module') return `**${t.mod.display}**${t.mod.isStd ? ' (standard library, read-only)' : ''}\n\ndeclares: ${[...t.mod.decls.values()].map((d) => `\`${d.name.name}\``).join(', ') || 'nothing'}`;
  if (t.t === 'param') return `${code(signature(t.decl, t.mod.file.text))}\nparameter \`${t.param.name.name}\`${t.param.default ? `, default \`${textOf(t.mod, t.param.default.span)}\`` : ' (required)'}`;
  const out = [code(signature(t.decl, t.mod.file.text))];
  const doc = docComment(t.mod, t.decl);
  if (doc) out.push(doc);
  out.push(`declared in \`${t.mod.display}:${t.decl.name.span.start.line}\``);
  if (t.decl.declKind.name === 'schedule') {
    for (const a of all) {
      if (!a.out.result) continue;
      const id = a.out.result.elaborator.idOf(a.modules.get(t.mod.display) ?? t.mod, t.decl);
      const runs = a.out.result.elaborator.instances.has(id) ? scheduleRuns(a, id) : undefined;
      if (!runs) continue;
      out.push(`${runs.runs.length} phases, ${runs.runs.reduce((n, r) => n + r.phase.steps, 0)} steps, counted in ${countedFrom(runs)}:`, describeRuns(runs).map((l) => `- ${l}`).join('\n'));
      break;
    }
  }
  return out.join('\n\n');
}
