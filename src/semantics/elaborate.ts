// Name resolution and elaboration: every reference is linked to its declaration, `base with { }`
// is merged, templates (`schedule cycle(low, high) { ... }`) are instantiated with their arguments.
// The result is one Instance per declaration that the pipeline uses.
import type * as A from '../ast/ast.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import { didYouMean } from '../util/suggest.js';
import type { Module, Program } from './loader.js';
import type { CallArg, Entries, Instance, NestedValue, Value } from './values.js';

interface Env {
  mod: Module;
  /** Template parameters in scope (name → value, or an opaque `param` while checking the template). */
  params?: Map<string, Value>;
}

interface Body {
  entries: Entries;
  blocks: NestedValue[];
  /** The base named could not be resolved. */
  broken?: boolean;
  /** Files whose text the body inherited through its base. */
  from?: Set<string>;
}

/** The template call or declaration a derived declaration starts from. */
function baseOf(e: A.Expr): A.RefExpr | A.CallExpr | undefined {
  while (e.kind === 'with') e = e.base;
  return e.kind === 'ref' || e.kind === 'call' ? e : undefined;
}

export class Elaborator {
  readonly instances = new Map<string, Instance>();
  /** Declarations being elaborated, innermost last: the chain shown for a recursive definition. */
  private readonly stack: A.Declaration[] = [];
  readonly diagnostics: Diagnostic[] = [];
  /** Declarations used as the base of another (for the unused-declaration warning). */
  readonly referenced = new Set<A.Declaration>();

  /** `--set name.key=value` overrides, merged into the entry file's declarations. */
  private readonly overrides = new Map<string, Entries>();

  constructor(readonly program: Program) {}

  /** Record `--set decl.a.b=value`: merged into `decl` as if written `decl with { a = { b = value } }`. */
  addOverride(decl: A.Declaration, path: A.Ident[], value: A.Expr): void {
    const env: Env = { mod: this.program.entry };
    let v = this.expr(value, env);
    for (let i = path.length - 1; i >= 1; i--) v = { t: 'record', span: value.span, entries: new Map([[path[i]!.name, { key: path[i]!, value: v }]]) };
    const over: Entries = new Map([[path[0]!.name, { key: path[0]!, value: v }]]);
    this.overrides.set(decl.name.name, mergeEntries(this.overrides.get(decl.name.name) ?? new Map(), over));
  }

  idOf(mod: Module, decl: A.Declaration): string {
    if (mod === this.program.entry) return `${decl.declKind.name}.${decl.name.name}`;
    return `${decl.declKind.name}.${mod.irPath.replace(/\.siri$/, '')}.${decl.name.name}`;
  }

  /** The instance of a plain (non-template) declaration, elaborated on first use. */
  instanceOf(mod: Module, decl: A.Declaration): Instance {
    const id = this.idOf(mod, decl);
    const existing = this.instances.get(id);
    if (existing) return existing;
    const inst: Instance = { id, kind: decl.declKind.name, name: decl.name.name, module: mod, decl, entries: new Map(), blocks: [], template: false, role: 'base', state: 'busy' };
    this.instances.set(id, inst);
    this.stack.push(decl);
    const body = this.declBody(decl, { mod });
    this.stack.pop();
    const over = mod === this.program.entry ? this.overrides.get(decl.name.name) : undefined;
    inst.entries = over ? mergeEntries(body.entries, over) : body.entries;
    inst.blocks = body.blocks;
    const base = decl.value && baseOf(decl.value);
    if (base && body.from) inst.site = { span: base.span, name: (base.kind === 'call' ? base.callee : base).path.map((p) => p.name).join('.'), files: body.from };
    if (body.broken) inst.broken = true;
    inst.state = 'done';
    return inst;
  }

  /** A template checked on its own, its parameters left opaque. Not part of the pipeline. */
  templateInstance(mod: Module, decl: A.Declaration): Instance {
    const params = new Map<string, Value>();
    for (const p of decl.params ?? []) params.set(p.name.name, { t: 'param', span: p.name.span, name: p.name.name });
    for (const p of decl.params ?? []) if (p.default) this.expr(p.default, { mod }); // resolve names in defaults
    const body = this.declBody(decl, { mod, params });
    return { id: `${this.idOf(mod, decl)}(template)`, kind: decl.declKind.name, name: decl.name.name, module: mod, decl, entries: body.entries, blocks: body.blocks, template: true, role: 'base', state: 'done' };
  }

  private declBody(decl: A.Declaration, env: Env): Body {
    if (decl.body) return this.block(decl.body, env);
    if (decl.value) return this.derived(decl.value, env, decl);
    return { entries: new Map(), blocks: [] };
  }

  /** `kind name = base with { ... }` or `kind name = template(args) with { ... }`. */
  private derived(e: A.Expr, env: Env, decl: A.Declaration): Body {
    const kind = decl.declKind.name;
    if (e.kind === 'with') {
      const base = this.derived(e.base, env, decl);
      return { ...base, entries: mergeEntries(base.entries, this.recordEntries(e.override, env)) };
    }
    const target = e.kind === 'ref' ? e : e.kind === 'call' ? e.callee : undefined;
    const found = target ? this.lookupDecl(target, env) : undefined;
    if (!found) {
      if (target && !this.reportedUndefined.has(target)) this.reportUndefined(target, env);
      else if (!target && e.kind !== 'error')
        this.diagnostics.push(diag('E0302', e.span, `a \`${kind}\` declared with \`=\` must name another \`${kind}\``, { label: 'not a declaration', help: `write \`${kind} ${decl.name.name} = other with { ... }\`, or use a block: \`${kind} ${decl.name.name} { ... }\`` }));
      return { entries: new Map(), blocks: [], broken: true };
    }
    const { mod, decl: base } = found;
    this.referenced.add(base);
    if (base.declKind.name !== kind) {
      this.diagnostics.push(diag('E0205', target!.span, `\`${target!.path.map((p) => p.name).join('.')}\` is a \`${base.declKind.name}\`, not a \`${kind}\``, { label: `expected a \`${kind}\``, help: `a \`${kind}\` can only be derived from another \`${kind}\`` }));
      return { entries: new Map(), blocks: [], broken: true };
    }
    if (e.kind === 'call') {
      if (!base.params) {
        this.diagnostics.push(diag('E0211', e.span, `\`${base.name.name}\` takes no arguments`, { label: 'not a template', help: `drop the parentheses, or change it with \`${base.name.name} with { ... }\`` }));
        return { entries: new Map(), blocks: [], broken: true };
      }
      return { ...this.instantiate(mod, base, e.args, e.span, env), from: new Set([mod.display]) };
    }
    if (base.params) {
      this.diagnostics.push(diag('E0211', target!.span, `\`${base.name.name}\` needs arguments`, { label: 'a template', help: `call it with its parameters: \`${templateCall(target!, base)}\`` }));
      return { entries: new Map(), blocks: [], broken: true };
    }
    const inst = this.instanceOf(mod, base);
    if (inst.state === 'busy') {
      const loop = [...this.stack.slice(this.stack.indexOf(base)).map((d) => d.name.name), base.name.name];
      const message = loop.length <= 2 ? `\`${base.name.name}\` is defined in terms of itself` : `${loop.slice(0, -1).map((n) => `\`${n}\``).join(' and ')} are defined in terms of each other: ${loop.join(' → ')}`;
      this.diagnostics.push(diag('E0212', target!.span, message, { label: 'this leads back to the declaration being defined', help: 'break the loop: one of these declarations needs its own block of settings' }));
      return { entries: new Map(), blocks: [], broken: true };
    }
    return { entries: new Map(inst.entries), blocks: inst.blocks, from: new Set([mod.display, ...(inst.site?.files ?? [])]) };
  }

  private instantiate(mod: Module, decl: A.Declaration, args: A.Arg[], callSpan: A.Span, callerEnv: Env): Body {
    if (this.stack.includes(decl)) {
      // A template that instantiates itself never ends: there is no condition to stop it.
      const loop = [...this.stack.slice(this.stack.indexOf(decl)), decl].map((d) => d.name.name);
      this.diagnostics.push(diag('E0212', callSpan, `the template \`${decl.name.name}\` instantiates itself: ${loop.join(' → ')}`, { label: 'this leads back to the template being instantiated', help: 'a template cannot use itself: give one of them its own phases' }));
      return { entries: new Map(), blocks: [] };
    }
    this.stack.push(decl);
    try {
      return this.instantiateBody(mod, decl, args, callSpan, callerEnv);
    } finally {
      this.stack.pop();
    }
  }

  private instantiateBody(mod: Module, decl: A.Declaration, args: A.Arg[], callSpan: A.Span, callerEnv: Env): Body {
    const params = decl.params ?? [];
    const values = new Map<string, Value>();
    let positional = 0;
    for (const a of args) {
      const v = this.expr(a.value, callerEnv);
      let p: A.Param | undefined;
      if (a.name) {
        p = params.find((q) => q.name.name === a.name!.name);
        if (!p) {
          this.diagnostics.push(diag('E0211', a.name.span, `\`${decl.name.name}\` has no parameter \`${a.name.name}\``, { label: 'unknown parameter', help: didYouMean(a.name.name, params.map((q) => q.name.name)) || `its parameters are: ${params.map((q) => q.name.name).join(', ')}` }));
          continue;
        }
      } else {
        p = params[positional++];
        if (!p) {
          this.diagnostics.push(diag('E0211', a.span, `\`${decl.name.name}\` takes ${params.length} argument${params.length === 1 ? '' : 's'}`, { label: 'one too many', help: 'remove this argument' }));
          continue;
        }
      }
      if (values.has(p.name.name)) {
        this.diagnostics.push(diag('E0211', a.span, `the parameter \`${p.name.name}\` is given twice`, { label: 'given again here', help: 'keep one of them' }));
        continue;
      }
      values.set(p.name.name, v);
    }
    for (const p of params) {
      if (values.has(p.name.name)) continue;
      if (p.default) values.set(p.name.name, this.expr(p.default, { mod }));
      else {
        // Bound to an error so the template body doesn't report the same gap again.
        values.set(p.name.name, { t: 'error', span: callSpan });
        this.diagnostics.push(diag('E0211', callSpan, `missing the argument \`${p.name.name}\` of \`${decl.name.name}\``, { label: `needs \`${p.name.name} = ...\``, help: `add \`${p.name.name} = ...\` to the call` }));
      }
    }
    return this.declBody(decl, { mod, params: values });
  }

  block(b: A.Block, env: Env): Body {
    const entries: Entries = new Map();
    const blocks: NestedValue[] = [];
    for (const item of b.items) {
      if (item.kind === 'attribute') this.addEntry(entries, item, env);
      else blocks.push(this.nested(item, env));
    }
    return { entries, blocks };
  }

  private nested(n: A.NestedBlock, env: Env): NestedValue {
    const body = this.block(n.body, env);
    const out: NestedValue = { keyword: n.keyword, span: n.span, entries: body.entries, blocks: body.blocks };
    if (n.label) {
      if ('kind' in n.label) out.labelValue = this.expr(n.label, env);
      else if (n.keyword.name === 'repeat') out.labelValue = this.expr({ kind: 'ref', span: n.label.span, path: [n.label] }, env);
      else out.labelName = n.label;
    }
    return out;
  }

  private addEntry(entries: Entries, a: A.Attribute, env: Env): void {
    const prev = entries.get(a.key.name);
    if (prev) {
      this.diagnostics.push(diag('E0204', a.key.span, `\`${a.key.name}\` is set more than once`, { label: 'set again here', help: 'keep one of them', related: [{ message: 'first set', span: prev.key.span }] }));
      return;
    }
    entries.set(a.key.name, { key: a.key, value: this.expr(a.value, env) });
  }

  private recordEntries(r: A.RecordExpr, env: Env): Entries {
    const entries: Entries = new Map();
    for (const a of r.entries) this.addEntry(entries, a, env);
    return entries;
  }

  expr(e: A.Expr, env: Env): Value {
    switch (e.kind) {
      case 'number': {
        const v: Value = { t: 'num', span: e.span, value: e.value, raw: e.raw, integral: e.integral };
        if (e.unit) {
          v.unit = e.unit.canonical;
          v.unitSpan = e.unit.span;
        }
        return v;
      }
      case 'string':
        return { t: 'str', span: e.span, value: e.value, parts: e.parts };
      case 'bool':
        return { t: 'bool', span: e.span, value: e.value };
      case 'ref':
        return this.ref(e, env);
      case 'call': {
        const found = this.lookupDecl(e.callee, env, true);
        if (found) {
          this.diagnostics.push(diag('E0211', e.span, `\`${found.decl.name.name}\` is a declaration, not a function`, { label: 'cannot be called here', help: `instantiate it in a declaration of its own: \`${found.decl.declKind.name} my_${found.decl.name.name} = ${e.callee.path.map((p) => p.name).join('.')}(...)\`, then refer to \`my_${found.decl.name.name}\`` }));
          return { t: 'error', span: e.span };
        }
        const fn = e.callee.path[e.callee.path.length - 1]!;
        const name = e.callee.path.map((p) => p.name).join('.');
        const args: CallArg[] = e.args.map((a) => {
          const arg: CallArg = { value: this.expr(a.value, env), span: a.span };
          if (a.name) arg.name = a.name;
          return arg;
        });
        return { t: 'call', span: e.span, fn: { name, span: e.callee.path.length === 1 ? fn.span : e.callee.span }, args };
      }
      case 'list':
        return { t: 'list', span: e.span, items: e.elements.map((x) => this.expr(x, env)) };
      case 'record':
        return { t: 'record', span: e.span, entries: this.recordEntries(e, env) };
      case 'with': {
        const base = this.expr(e.base, env);
        const over = this.recordEntries(e.override, env);
        if (base.t === 'record') return { t: 'record', span: e.span, entries: mergeEntries(base.entries, over) };
        if (base.t !== 'error' && base.t !== 'param')
          this.diagnostics.push(diag('E0302', e.base.span, '`with` changes a record or a declaration', { label: 'not a record', help: 'to derive a declaration, write `KIND name = other with { ... }` at the top level' }));
        return { t: 'error', span: e.span };
      }
      case 'range':
        return { t: 'range', span: e.span, from: this.expr(e.from, env), to: this.expr(e.to, env) };
      case 'transition':
        return { t: 'transition', span: e.span, from: this.expr(e.from, env), to: this.expr(e.to, env) };
      case 'error':
        return { t: 'error', span: e.span };
    }
  }

  private readonly reportedUndefined = new Set<A.RefExpr>();

  /** The declaration a path names, if it names one. */
  private lookupDecl(r: A.RefExpr, env: Env, quiet = false): { mod: Module; decl: A.Declaration } | undefined {
    const found = resolveDecl(env.mod, r.path, env.params);
    const [first, second] = r.path;
    if (!found && !quiet && first && second && env.mod.imports.get(first.name)?.module) this.reportUndefined(r, env);
    return found;
  }

  private ref(r: A.RefExpr, env: Env): Value {
    const [first, second, third] = r.path;
    if (!first) return { t: 'error', span: r.span };
    const param = env.params?.get(first.name);
    if (param) {
      if (second) {
        this.diagnostics.push(diag('E0202', second.span, `the parameter \`${first.name}\` has no field \`${second.name}\``, { label: 'unknown field', help: `use \`${first.name}\` on its own` }));
        return { t: 'error', span: r.span };
      }
      return param;
    }
    const imp = env.mod.imports.get(first.name);
    if (imp && second) {
      if (!imp.module) return { t: 'error', span: r.span }; // the import already failed
      const d = imp.module.decls.get(second.name);
      if (!d) {
        this.reportUndefined(r, env);
        return { t: 'error', span: r.span };
      }
      return this.refTo(imp.module, d, r, third);
    }
    if (imp && !second) {
      this.diagnostics.push(diag('E0202', first.span, `\`${first.name}\` is an imported file, not a value`, { label: 'a namespace', help: `name one of its declarations: \`${first.name}.NAME\`` }));
      return { t: 'error', span: r.span };
    }
    const d = env.mod.decls.get(first.name);
    if (d) {
      if (third) {
        this.diagnostics.push(diag('E0202', third.span, `\`${r.path.map((p) => p.name).join('.')}\` goes one level too deep`, { label: 'unexpected field', help: `write \`${first.name}.${second!.name}\`` }));
        return { t: 'error', span: r.span };
      }
      return this.refTo(env.mod, d, r, second);
    }
    if (r.path.length === 1) return { t: 'sym', span: r.span, name: first.name };
    this.reportUndefined(r, env);
    return { t: 'error', span: r.span };
  }

  private refTo(mod: Module, d: A.Declaration, r: A.RefExpr, field: A.Ident | undefined): Value {
    if (d.params) {
      this.diagnostics.push(diag('E0211', r.span, `\`${d.name.name}\` needs arguments`, { label: 'a template', help: `instantiate it first: \`${d.declKind.name} my_${d.name.name} = ${templateCall({ ...r, path: field ? r.path.slice(0, -1) : r.path }, d)}\`` }));
      return { t: 'error', span: r.span };
    }
    const target = this.instanceOf(mod, d);
    const v: Value = { t: 'ref', span: r.span, target };
    if (field) v.field = field;
    return v;
  }

  /** E0202 with the closest names in the scope the path was looked up in. */
  reportUndefined(r: A.RefExpr, env: Env): void {
    this.reportedUndefined.add(r);
    const [first, second] = r.path;
    if (!first) return;
    const imp = env.mod.imports.get(first.name);
    if (imp?.module && second) {
      const names = [...imp.module.decls.values()].map((d) => d.name.name);
      this.diagnostics.push(diag('E0202', second.span, `\`${imp.module.display}\` has no declaration \`${second.name}\``, { label: 'not found in that file', help: didYouMean(second.name, names) || `it declares: ${names.join(', ') || 'nothing'}` }));
      return;
    }
    const names = [...env.mod.decls.keys(), ...env.mod.imports.keys(), ...(env.params?.keys() ?? [])];
    this.diagnostics.push(diag('E0202', first.span, `cannot find \`${first.name}\``, { label: 'not declared', help: didYouMean(first.name, names) || 'declare it, or import the file that declares it' }));
  }
}

/**
 * The declaration `name` or `ns.name` names from `mod` (template parameters in `params` shadow
 * declarations). Shared with the language server, which resolves names the same way.
 */
export function resolveDecl(mod: Module, path: readonly A.Ident[], params?: ReadonlyMap<string, unknown>): { mod: Module; decl: A.Declaration } | undefined {
  const [first, second] = path;
  if (!first) return undefined;
  if (path.length === 1) {
    if (params?.has(first.name)) return undefined;
    const d = mod.decls.get(first.name);
    return d ? { mod, decl: d } : undefined;
  }
  const imp = mod.imports.get(first.name);
  if (!imp?.module || !second) return undefined;
  const d = imp.module.decls.get(second.name);
  return d ? { mod: imp.module, decl: d } : undefined;
}

/** `base with { over }`: override keys replace base keys; records are merged key by key. */
export function mergeEntries(base: Entries, over: Entries): Entries {
  const out: Entries = new Map(base);
  for (const [k, e] of over) {
    const b = out.get(k);
    if (b && b.value.t === 'record' && e.value.t === 'record') {
      out.set(k, { key: e.key, value: { t: 'record', span: e.value.span, entries: mergeEntries(b.value.entries, e.value.entries) } });
    } else out.set(k, e);
  }
  return out;
}

/** `ns.template(a = ..., b = ...)` with the parameters that have no default. */
function templateCall(r: A.RefExpr, d: A.Declaration): string {
  const required = (d.params ?? []).filter((p) => !p.default).map((p) => `${p.name.name} = ...`);
  return `${r.path.map((p) => p.name).join('.')}(${required.join(', ')})`;
}
