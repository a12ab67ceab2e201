// The checker: per-declaration rules from the schema tables, then the rules that span the whole
// pipeline (train order, schedule vs steps, batch divisibility, data a stage needs).
import type { Declaration, Span } from '../ast/ast.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import { didYouMean } from '../util/suggest.js';
import { Elaborator } from './elaborate.js';
import type { Program } from './loader.js';
import * as S from './schemas.js';
import { pipelineRules } from './rules.js';
import { toUserSite } from './site.js';
import { TASKS } from './tasks.js';
import { decode, decodeEntries, own, type DecodeContext, type Json, type KeyTable, type Owner } from './types.js';
import type { Instance, NestedValue } from './values.js';

export type Settings = Record<string, Json>;

export type { IRCurve as Curve } from '../ir/graph.js';
import type { IRCurve as Curve } from '../ir/graph.js';

export interface PhaseSpec {
  name: string;
  /** 1-based occurrence of this phase name (the cycle number inside a `repeat`). */
  cycle: number;
  steps: number;
  curve: Curve;
  role: 'compress' | 'expand' | 'hold';
  span: Span;
}

export interface Checked {
  inst: Instance;
  settings: Settings;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  elaborator: Elaborator;
  /** Non-template instances whose settings passed their checks, by id. */
  checked: Map<string, Checked>;
  /** Expanded phases of each schedule instance, by id. */
  phases: Map<string, PhaseSpec[]>;
  pipeline?: Checked;
  /** True when every instance the pipeline needs was checked without errors. */
  complete: boolean;
}

/** `setup` runs before elaboration (the compiler registers `--set` overrides there). */
export function checkProgram(program: Program, setup?: (elab: Elaborator) => void): CheckResult {
  const elab = new Elaborator(program);
  setup?.(elab);
  const diagnostics: Diagnostic[] = [];
  const entry = program.entry;

  // Unknown declaration kinds, in every loaded file.
  const unknownKind = new Set<Declaration>();
  for (const mod of program.modules) {
    for (const d of mod.decls.values()) {
      if ((S.DECL_KINDS as readonly string[]).includes(d.declKind.name)) continue;
      unknownKind.add(d);
      diagnostics.push(diag('E0201', d.declKind.span, `\`${d.declKind.name}\` is not a kind of declaration`, { label: 'unknown declaration kind', help: didYouMean(d.declKind.name, S.DECL_KINDS) || `the kinds are: ${S.DECL_KINDS.join(', ')}` }));
    }
  }

  // In a pipeline file every declaration is part of the pipeline; a library file's declarations
  // are presets, complete only once a pipeline uses them.
  const isPipelineFile = [...entry.decls.values()].some((d) => d.declKind.name === 'pipeline');
  const templates: Instance[] = [];
  const roots: Instance[] = [];
  for (const d of entry.decls.values()) {
    if (unknownKind.has(d)) continue;
    if (d.params) templates.push(elab.templateInstance(entry, d));
    else roots.push(elab.instanceOf(entry, d));
  }
  for (const d of elab.diagnostics) diagnostics.push(d);

  // The pipeline is what its declarations reach through references, found while checking them.
  const worklist: Instance[] = isPipelineFile ? [...roots] : [];
  const used = new Set<Declaration>();
  const cx: DecodeContext = {
    diagnostics,
    namesOfKind: (kind) => [...entry.decls.values()].filter((d) => d.declKind.name === kind).map((d) => d.name.name),
    onRef: (target) => {
      used.add(target.decl);
      if (target.role !== 'node') worklist.push(target);
    },
  };
  for (const r of worklist) r.role = 'node';

  const checked = new Map<string, Checked>();
  const phases = new Map<string, PhaseSpec[]>();
  let complete = true;
  const errorCount = (): number => diagnostics.filter((d) => d.severity === 'error').length;
  while (worklist.length) {
    const inst = worklist.shift()!;
    if (checked.has(inst.id) || unknownKind.has(inst.decl)) continue;
    inst.role = 'node';
    // Its base is unknown (reported): checking what is left would report keys the base holds.
    if (inst.broken) {
      complete = false;
      continue;
    }
    const before = errorCount();
    const mark = diagnostics.length;
    const settings = checkInstance(inst, cx, phases);
    toUserSite(inst, diagnostics, mark);
    if (settings && errorCount() === before) checked.set(inst.id, { inst, settings });
    else complete = false;
  }
  // Presets and templates are checked too, leniently: they may leave required keys open.
  const rest = [...elab.instances.values()].filter((i) => i.role === 'base' && !unknownKind.has(i.decl) && !i.broken).sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const inst of [...rest, ...templates]) checkInstance(inst, cx, new Map());
  for (const d of elab.referenced) used.add(d);

  const pipelines = [...entry.decls.values()].filter((d) => d.declKind.name === 'pipeline');
  for (const extra of pipelines.slice(1)) {
    diagnostics.push(diag('E0405', extra.name.span, 'a file can declare only one pipeline', { label: 'second pipeline', help: 'split the pipelines into separate files (they can import shared declarations)', related: [{ message: 'the first pipeline', span: pipelines[0]!.name.span }] }));
  }
  const pipelineDecl = pipelines[0];
  const pipeline = pipelineDecl ? checked.get(elab.idOf(entry, pipelineDecl)) : undefined;

  crossChecks(checked, phases, diagnostics);
  // A misspelt reference also leaves its target unused: say it once, as the error.
  if (!diagnostics.some((d) => d.severity === 'error')) unusedWarnings(program, used, diagnostics);

  const result: CheckResult = { diagnostics, elaborator: elab, checked, phases, complete };
  if (pipeline) result.pipeline = pipeline;
  return result;
}

function what(inst: Instance): string {
  return `the ${inst.kind} \`${inst.name}\``;
}

function checkInstance(inst: Instance, cx: DecodeContext, phases: Map<string, PhaseSpec[]>): Settings | undefined {
  const owner = { span: inst.decl.name.span, what: what(inst), partial: inst.role === 'base' };
  if (inst.kind !== 'schedule') {
    for (const b of inst.blocks) {
      cx.diagnostics.push(diag('E0209', b.keyword.span, `${what(inst)} cannot hold a \`${b.keyword.name}\` block`, { label: 'blocks belong in a schedule', help: inst.kind === 'train' ? 'declare a `schedule` with its phases and set `max_tokens = that_schedule`' : `write settings as \`key = value\`` }));
    }
  }
  switch (inst.kind) {
    case 'pipeline':
      return decodeEntries(inst.entries, S.PIPELINE_KEYS, cx, owner);
    case 'model':
      return checkModel(inst, cx, owner);
    case 'dataset':
      return checkDataset(inst, cx, owner);
    case 'reward':
      return withVariant(inst, cx, owner, 'kind', S.REWARD_COMMON, S.REWARD_VARIANTS, 'error');
    case 'train':
      return withVariant(inst, cx, owner, 'algorithm', S.TRAIN_COMMON, S.TRAIN_VARIANTS, 'warning');
    case 'eval': {
      const s = decodeEntries(inst.entries, S.EVAL_KEYS, cx, owner);
      if (s && s['mode'] === 'greedy' && (s['samples'] as number) > 1) {
        cx.diagnostics.push(diag('W0004', inst.entries.get('samples')!.value.span, '`samples` above 1 has no effect with `mode = greedy`', { label: 'every greedy sample is the same', help: 'set `mode = sample` for mean@k, or drop `samples`' }));
      }
      return s;
    }
    case 'schedule': {
      for (const [k, e] of inst.entries) {
        cx.diagnostics.push(diag('E0301', e.key.span, `${what(inst)} has no setting \`${k}\``, { label: 'unknown key', help: 'a schedule holds only `phase NAME { steps = ..., max_tokens = ... }` and `repeat N { ... }` blocks' }));
      }
      const { ok, items, steps: total, over } = expandBlocks(inst.blocks, cx);
      if (items.length === 0 && ok && inst.blocks.length === 0 && inst.decl.body) {
        cx.diagnostics.push(diag('E0305', inst.decl.name.span, `${what(inst)} has no phases`, { label: 'empty schedule', help: 'add `phase compress { steps = 100  max_tokens = cosine(4k -> 2k) }`' }));
        return undefined;
      }
      if (!ok) return undefined;
      if (total > S.MAX_STAGE_STEPS) {
        const shown = Number.isSafeInteger(total) ? String(total) : `about ${total.toPrecision(3)}`;
        const related = over ? [{ message: `this \`repeat\` takes the schedule past ${S.MAX_STAGE_STEPS} steps`, span: over.keyword.span }] : [];
        cx.diagnostics.push(diag('E0304', inst.decl.name.span, `${what(inst)} lasts ${shown} steps, more than the ${S.MAX_STAGE_STEPS} a stage may have`, { label: 'too long', help: 'use fewer or shorter phases, or fewer `repeat`s', related }));
        return undefined;
      }
      const list = flattenPhases(items, []);
      if (list.length === 0) return undefined;
      numberPhases(list);
      phases.set(inst.id, list);
      return { total_steps: list.reduce((n, p) => n + p.steps, 0) };
    }
  }
  return undefined;
}

/** Keys that depend on a discriminating key (`kind` of a reward, `algorithm` of a train stage). */
function withVariant(inst: Instance, cx: DecodeContext, owner: Owner, key: string, common: KeyTable, variants: Record<string, KeyTable>, otherVariantSeverity: 'error' | 'warning'): Settings | undefined {
  const disc = inst.entries.get(key);
  const chosen = disc ? decode(disc.value, common[key]!.spec, cx, key) : undefined;
  if (!disc && owner.partial) {
    // A preset that leaves the choice to its users: check its keys against every variant.
    return decodeEntries(inst.entries, Object.assign({}, common, ...Object.values(variants)) as KeyTable, cx, owner);
  }
  if (!disc) {
    cx.diagnostics.push(diag('E0305', owner.span, `${owner.what} is missing \`${key}\``, { label: `needs \`${key}\``, help: `add \`${key} = ...\`: ${common[key]!.doc}` }));
    return undefined;
  }
  if (typeof chosen !== 'string') return undefined;
  const table: KeyTable = { ...common, ...own(variants, chosen) };
  const entries = new Map(inst.entries);
  for (const [k, e] of inst.entries) {
    if (own(table, k)) continue;
    const owners = Object.entries(variants).filter(([, t]) => own(t, k)).map(([v]) => v);
    if (owners.length === 0) continue; // decodeEntries reports it as unknown
    entries.delete(k);
    const msg = `\`${k}\` is not a setting of ${inst.kind === 'train' ? `an \`${chosen}\` stage` : `a \`${chosen}\` ${inst.kind}`}`;
    const help = `it applies when \`${key}\` is ${owners.map((o) => `\`${o}\``).join(' or ')}; remove it`;
    cx.diagnostics.push(diag(otherVariantSeverity === 'error' ? 'E0301' : 'W0004', e.key.span, msg, { label: otherVariantSeverity === 'error' ? 'not for this kind' : 'has no effect here', help }));
  }
  return decodeEntries(entries, table, cx, owner);
}

function checkModel(inst: Instance, cx: DecodeContext, owner: Owner): Settings | undefined {
  const s = decodeEntries(inst.entries, S.MODEL_KEYS, cx, owner);
  if (!s) return undefined;
  const src = s['source'] as Settings | undefined;
  if (src?.['fn'] !== 'scratch') return s;
  const srcSpan = inst.entries.get('source')!.value.span;
  const heads = src['heads'] as number;
  const d = src['d_model'] as number;
  const kv = src['kv_heads'] === 'heads' ? heads : (src['kv_heads'] as number);
  if (d % heads !== 0) {
    cx.diagnostics.push(diag('E0304', srcSpan, `\`d_model\` (${d}) must be a multiple of \`heads\` (${heads})`, { label: 'heads do not divide the hidden size', help: `use a divisor of ${d}, e.g. \`heads = ${closestDivisor(d, heads)}\`` }));
    return undefined;
  }
  if ((d / heads) % 2 !== 0) {
    cx.diagnostics.push(diag('E0304', srcSpan, `the head size d_model / heads = ${d / heads} must be even for rotary embeddings`, { label: 'odd head size', help: 'change `d_model` or `heads`' }));
    return undefined;
  }
  if (heads % kv !== 0) {
    cx.diagnostics.push(diag('E0304', srcSpan, `\`heads\` (${heads}) must be a multiple of \`kv_heads\` (${kv})`, { label: 'grouped-query attention needs whole groups', help: `use a divisor of ${heads} for \`kv_heads\`` }));
    return undefined;
  }
  return s;
}

function checkDataset(inst: Instance, cx: DecodeContext, owner: Owner): Settings | undefined {
  const s = decodeEntries(inst.entries, S.DATASET_KEYS, cx, owner);
  if (!s) return undefined;
  const src = s['source'] as Settings | undefined;
  const known = src?.['fn'] === 'generated' ? TASKS[src['task'] as string]!.fields : (s['fields'] as string[] | undefined);
  if (!known) return s;
  let ok = true;
  for (const key of ['prompt', 'answer', 'response']) {
    const e = inst.entries.get(key);
    if (!e || e.value.t !== 'str') continue;
    for (const part of e.value.parts) {
      if ('field' in part && !known.includes(part.field)) {
        ok = false;
        cx.diagnostics.push(diag('E0307', part.span, `rows of ${what(inst)} have no field \`${part.field}\``, { label: 'unknown field', help: didYouMean(part.field, known) || `the fields are: ${known.join(', ')}; write \`\\{\` for a literal brace` }));
      }
    }
  }
  return ok ? s : undefined;
}

/** A phase, or a repeat's body with its count: copied out by flattenPhases only once the total is known to fit. */
type Expanded = PhaseSpec | { times: number; body: Expanded[] };

/** Checked blocks. `steps` is their total, computed without copying anything. */
interface Expansion {
  ok: boolean;
  items: Expanded[];
  steps: number;
  /** The outermost `repeat` whose copies take the total past MAX_STAGE_STEPS. */
  over?: NestedValue;
}

/**
 * Check `phase` and `repeat` blocks. A repeat's body is checked once (an error in it is reported
 * once) and kept with its count, so nested repeats cost the size of the source, never
 * count^levels; flattenPhases copies them out when the total fits in a stage. Unnamed phases get
 * their names, and phases their cycle numbers, from numberPhases once the list is flat.
 */
function expandBlocks(blocks: NestedValue[], cx: DecodeContext): Expansion {
  let ok = true;
  const out: Expanded[] = [];
  let steps = 0;
  let over: NestedValue | undefined;
  for (const b of blocks) {
    const kw = b.keyword.name;
    if (kw === 'phase') {
      if (b.blocks.length) {
        ok = false;
        cx.diagnostics.push(diag('E0209', b.blocks[0]!.keyword.span, 'a phase cannot hold blocks', { label: 'nested block', help: 'put `repeat` around phases, not inside them' }));
      }
      if (b.labelValue) {
        ok = false;
        cx.diagnostics.push(diag('E0302', b.labelValue.span, 'a phase is named with a name, not a value', { label: 'expected a name', help: 'write e.g. `phase compress { ... }`' }));
        continue;
      }
      const name = b.labelName?.name ?? `phase${out.length + 1}`;
      const s = decodeEntries(b.entries, S.PHASE_KEYS, cx, { span: b.labelName?.span ?? b.keyword.span, what: `the phase \`${name}\`` });
      if (!s) {
        ok = false;
        continue;
      }
      const mt = s['max_tokens']!;
      const curve: Curve = typeof mt === 'number' ? { kind: 'constant', from: mt, to: mt } : curveOf(mt as Settings);
      const role = phaseRole(name, curve, s['role'] as PhaseSpec['role'] | undefined, b.entries, cx);
      out.push({ name: b.labelName?.name ?? '', cycle: 0, steps: s['steps'] as number, curve, role, span: b.labelName?.span ?? b.keyword.span });
      steps += s['steps'] as number;
    } else if (kw === 'repeat') {
      if (b.labelName || !b.labelValue) {
        ok = false;
        cx.diagnostics.push(diag('E0302', b.keyword.span, '`repeat` needs a count', { label: 'how many times?', help: 'write `repeat 3 { ... }`' }));
        continue;
      }
      for (const [k, e] of b.entries) {
        ok = false;
        cx.diagnostics.push(diag('E0301', e.key.span, `\`repeat\` has no setting \`${k}\``, { label: 'unknown key', help: 'settings belong inside a `phase`' }));
      }
      if (b.labelValue.t === 'sym') {
        // `repeat cycles` outside a template that declares `cycles`: the name is the problem.
        ok = false;
        cx.diagnostics.push(diag('E0202', b.labelValue.span, `cannot find \`${b.labelValue.name}\``, { label: 'not a number or a parameter', help: `give the count as a number, e.g. \`repeat 3 { ... }\`, or declare the schedule as a template: \`schedule NAME(${b.labelValue.name}) { ... }\`` }));
        continue;
      }
      const n = decode(b.labelValue, { k: 'int', min: 1, max: S.REPEAT_MAX }, cx, 'repeat');
      if (typeof n !== 'number') {
        ok = false;
        continue;
      }
      const body = expandBlocks(b.blocks, cx);
      ok = body.ok && ok;
      steps += n * body.steps;
      if ((body.over || steps > S.MAX_STAGE_STEPS) && !over) over = b;
      out.push({ times: n, body: body.items });
      if (b.blocks.length === 0) {
        ok = false;
        cx.diagnostics.push(diag('E0305', b.keyword.span, '`repeat` holds no phases', { label: 'empty repeat', help: 'put `phase` blocks inside it' }));
      }
    } else {
      ok = false;
      cx.diagnostics.push(diag('E0209', b.keyword.span, `a schedule has no \`${kw}\` block`, { label: 'unknown block', help: didYouMean(kw, S.NESTED_BLOCKS) || 'a schedule holds `phase` and `repeat` blocks' }));
    }
  }
  const result: Expansion = { ok, items: out, steps };
  if (over) result.over = over;
  return result;
}

/** The ordered list of phases (recursion as deep as the source's `repeat`s, bounded by MAX_NESTING). */
function flattenPhases(items: Expanded[], out: PhaseSpec[]): PhaseSpec[] {
  for (const it of items) {
    if ('times' in it) for (let i = 0; i < it.times; i++) flattenPhases(it.body, out);
    else out.push({ ...it });
  }
  return out;
}

/** Names unnamed phases by position (`phase3`) and numbers each name's occurrences (its cycle). */
function numberPhases(list: PhaseSpec[]): void {
  const counts = new Map<string, number>();
  list.forEach((p, i) => {
    if (!p.name) p.name = `phase${i + 1}`;
    p.cycle = (counts.get(p.name) ?? 0) + 1;
    counts.set(p.name, p.cycle);
  });
}

/**
 * A phase's role: as written, else from its curve. A `role` the curve contradicts is an error (it
 * labels the checkpoints SIRI-low/high); a name the curve contradicts (W0003) leaves the phase
 * without a role, so a phase called `compress` is never labelled SIRI-high.
 */
function phaseRole(name: string, curve: Curve, role: PhaseSpec['role'] | undefined, entries: NestedValue['entries'], cx: DecodeContext): PhaseSpec['role'] {
  const byCurve = curve.to < curve.from ? 'compress' : curve.to > curve.from ? 'expand' : 'hold';
  if (role) {
    if ((role === 'compress' && byCurve === 'expand') || (role === 'expand' && byCurve === 'compress')) {
      const roleSpan = entries.get('role')!.value.span;
      const mt = entries.get('max_tokens')!.value;
      const ends = mt.t === 'call' && mt.args[0]?.value.t === 'transition' ? mt.args[0].value : undefined;
      // In a template the endpoints are the caller's arguments: the fix is at the call.
      const fromArgs = ends && ends.from.span.file !== roleSpan.file;
      const falls = role === 'compress';
      // A template's compress and expand phases share the two arguments: one error per pair.
      const same = (d: Diagnostic): boolean => d.code === 'E0412' && !!ends && d.related?.some((r) => r.span === ends.to.span || r.span === ends.from.span) === true;
      if (fromArgs && cx.diagnostics.some(same)) return role;
      cx.diagnostics.push(
        diag('E0412', roleSpan, `the phase \`${name}\` has \`role = ${role}\` but its budget ${byCurve === 'expand' ? 'rises' : 'falls'} from ${curve.from} to ${curve.to} tokens`, {
          label: `${falls ? 'a compression lowers' : 'an expansion raises'} the budget`,
          help: fromArgs ? 'swap the values of the two arguments the budget runs between (the notes point at them)' : `swap the curve's endpoints (\`${curve.to} -> ${curve.from}\`), or set \`role = ${byCurve}\``,
          related: fromArgs ? [{ message: `the budget starts at ${curve.from} tokens`, span: ends.from.span }, { message: `and ends at ${curve.to} tokens`, span: ends.to.span }] : [],
        }),
      );
    }
    return role;
  }
  const byName = /compress/i.test(name) ? 'compress' : /expand/i.test(name) ? 'expand' : undefined;
  return byName && byCurve !== 'hold' && byName !== byCurve ? 'hold' : byCurve;
}

function curveOf(c: Settings): Curve {
  if (c['fn'] === 'constant') return { kind: 'constant', from: c['value'] as number, to: c['value'] as number };
  const b = c['between'] as Settings;
  return { kind: c['fn'] as Curve['kind'], from: b['from'] as number, to: b['to'] as number };
}

const refId = (j: Json | undefined): string | undefined => (j && typeof j === 'object' && !Array.isArray(j) ? (j['ref'] as string) : undefined);

function valueSpan(inst: Instance, key: string): Span {
  return inst.entries.get(key)?.value.span ?? inst.decl.name.span;
}

function crossChecks(checked: Map<string, Checked>, phases: Map<string, PhaseSpec[]>, diagnostics: Diagnostic[]): void {
  const trains = [...checked.values()].filter((c) => c.inst.kind === 'train');
  for (const { inst, settings: s } of trains) {
    const mark = diagnostics.length;
    trainChecks(inst, s, checked, phases, diagnostics);
    toUserSite(inst, diagnostics, mark);
  }
  trainCycles(trains, diagnostics);
  pipelineRules(checked, phases, diagnostics);
  for (const [id, list] of phases) {
    const sched = checked.get(id);
    if (!sched) continue;
    const mark = diagnostics.length;
    scheduleWarnings(list, diagnostics);
    toUserSite(sched.inst, diagnostics, mark);
  }
}

function trainChecks(inst: Instance, s: Settings, checked: Map<string, Checked>, phases: Map<string, PhaseSpec[]>, diagnostics: Diagnostic[]): void {
  const algo = s['algorithm'];
  const data = checked.get(refId(s['data']) ?? '');
  if (algo === 'grpo') {
    const mb = s['mini_batch'];
    if (typeof mb === 'number' && (s['batch'] as number) % mb !== 0) {
      const b = s['batch'] as number;
      const divisors = [...Array(b).keys()].map((i) => i + 1).filter((d) => b % d === 0 && d <= mb).pop();
      diagnostics.push(diag('E0401', valueSpan(inst, 'mini_batch'), `\`batch\` (${b} prompts) is not a multiple of \`mini_batch\` (${mb} prompts)`, { label: 'does not divide the batch', help: `use a divisor of ${b}, e.g. \`mini_batch = ${divisors} prompts\`` }));
    }
    const schedId = refId(s['max_tokens']);
    const ph = schedId ? phases.get(schedId) : undefined;
    if (ph) {
      const total = ph.reduce((n, p) => n + p.steps, 0);
      if (s['steps'] !== undefined && s['steps'] !== total) {
        const sched = checked.get(schedId!)!.inst;
        diagnostics.push(diag('E0402', valueSpan(inst, 'steps'), `\`steps\` is ${s['steps']} but the schedule \`${sched.name}\` lasts ${total} steps`, { label: `the schedule says ${total}`, help: `set \`steps = ${total} steps\`, or leave \`steps\` out to follow the schedule`, related: [{ message: `schedule \`${sched.name}\` declared`, span: sched.decl.name.span }] }));
      }
    } else if (typeof s['max_tokens'] === 'number' && s['steps'] === undefined) {
      diagnostics.push(diag('E0305', inst.decl.name.span, `the train \`${inst.name}\` is missing \`steps\``, { label: 'needs `steps`', help: 'with a fixed `max_tokens`, say how long the stage runs: `steps = 500 steps`' }));
    }
    if (data) {
      const needsAnswer = ((s['rewards'] as Json[]) ?? []).some((r) => ['exact_answer', 'numeric_equal', 'math_equal'].includes(checked.get(refId(r) ?? '')?.settings['kind'] as string));
      if (needsAnswer && data.settings['answer'] === undefined) {
        diagnostics.push(diag('E0406', valueSpan(inst, 'data'), `the dataset \`${data.inst.name}\` has no \`answer\`, which the rewards of \`${inst.name}\` compare against`, { label: 'no reference answer', help: `add \`answer = "{${(data.settings['fields'] as string[] | undefined)?.find((f) => /answer/.test(f)) ?? 'field'}}"\` to the dataset \`${data.inst.name}\`` }));
      }
    }
  } else if (algo === 'sft') {
    if (s['steps'] === undefined) {
      diagnostics.push(diag('E0305', inst.decl.name.span, `the train \`${inst.name}\` is missing \`steps\``, { label: 'needs `steps`', help: 'say how long the warm-up runs: `steps = 200 steps`' }));
    }
    if (data && data.settings['response'] === undefined) {
      diagnostics.push(diag('E0406', valueSpan(inst, 'data'), `the dataset \`${data.inst.name}\` has no \`response\` for the sft stage \`${inst.name}\` to learn`, { label: 'no reference response', help: `add \`response = "{solution}"\` (or your field) to the dataset \`${data.inst.name}\`` }));
    }
  }
  // A budget the model cannot hold.
  const model = checked.get(refId(s['policy']) ?? '');
  const src = model?.settings['source'] as Settings | undefined;
  if (src?.['fn'] === 'scratch') {
    const ctx = src['context'] as number;
    const schedId = refId(s['max_tokens']);
    const budget = schedId ? (phases.get(schedId) ?? []).reduce((m, p) => Math.max(m, p.curve.from, p.curve.to), 0) : (s['max_tokens'] as number | undefined);
    if (budget !== undefined && budget >= ctx) {
      const byDefault = !inst.entries.has('max_tokens');
      diagnostics.push(
        diag('E0408', valueSpan(inst, 'max_tokens'), `${byDefault ? `\`max_tokens\` defaults to ${budget} tokens` : `the budget reaches ${budget} tokens`}, which leaves no room for the prompt in the ${ctx}-token context of the model \`${model!.inst.name}\``, {
          label: budget > ctx ? 'longer than the model context' : 'as long as the whole model context',
          help: `set \`max_tokens\` below ${ctx} (leaving room for the prompt), or raise \`context\` in \`scratch(...)\``,
        }),
      );
    }
  }
}

function trainCycles(trains: Checked[], diagnostics: Diagnostic[]): void {
  const byId = new Map(trains.map((t) => [t.inst.id, t]));
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (t: Checked, path: Checked[]): void => {
    state.set(t.inst.id, 'visiting');
    for (const a of (t.settings['after'] as Json[]) ?? []) {
      const next = byId.get(refId(a) ?? '');
      if (!next) continue;
      if (state.get(next.inst.id) === 'visiting') {
        const cycle = [...path.slice(path.indexOf(next)), t, next].map((c) => c.inst.name);
        const key = [...new Set(cycle)].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          diagnostics.push(diag('E0403', valueSpan(t.inst, 'after'), `the train stages wait for each other: ${cycle.join(' → ')}`, { label: 'closes the cycle', help: 'remove one `after` so the stages have a first one' }));
        }
      } else if (!state.has(next.inst.id)) visit(next, [...path, t]);
    }
    state.set(t.inst.id, 'done');
  };
  for (const t of [...trains].sort((a, b) => (a.inst.id < b.inst.id ? -1 : 1))) if (!state.has(t.inst.id)) visit(t, []);
}

function scheduleWarnings(list: PhaseSpec[], diagnostics: Diagnostic[]): void {
  const seen = new Set<string>();
  list.forEach((p, i) => {
    const key = `${p.span.file}:${p.span.start.offset}`;
    const first = !seen.has(key);
    seen.add(key);
    if (first && ((/compress/i.test(p.name) && p.curve.to > p.curve.from) || (/expand/i.test(p.name) && p.curve.to < p.curve.from))) {
      diagnostics.push(diag('W0003', p.span, `the phase \`${p.name}\` ${p.curve.to > p.curve.from ? 'raises' : 'lowers'} the budget from ${p.curve.from} to ${p.curve.to}`, { label: 'name and curve disagree', help: 'swap the curve\'s endpoints, or rename the phase (until then its checkpoints get no SIRI-low/high label)' }));
    }
    const next = list[i + 1];
    if (next && next.curve.from !== p.curve.to) {
      const nk = `${next.span.file}:${next.span.start.offset}:${p.span.start.offset}`;
      if (seen.has(nk)) return;
      seen.add(nk);
      diagnostics.push(diag('W0001', next.span, `the budget jumps from ${p.curve.to} to ${next.curve.from} tokens between \`${p.name}\` and \`${next.name}\``, { label: `starts at ${next.curve.from}, the phase before ends at ${p.curve.to}`, help: `start \`${next.name}\` at ${p.curve.to}, or make the jump explicit with a short constant phase` }));
    }
  });
}

/** Declarations of the entry file that nothing uses (stages, evals and the pipeline are roots). */
function unusedWarnings(program: Program, used: ReadonlySet<Declaration>, diagnostics: Diagnostic[]): void {
  const hasPipeline = [...program.entry.decls.values()].some((d) => d.declKind.name === 'pipeline');
  if (!hasPipeline) return; // a library file: its declarations are meant for importers
  for (const d of program.entry.decls.values()) {
    if (['pipeline', 'train', 'eval'].includes(d.declKind.name) || d.params) continue;
    if (!(S.DECL_KINDS as readonly string[]).includes(d.declKind.name)) continue;
    if (used.has(d)) continue;
    diagnostics.push(diag('W0002', d.name.span, `the ${d.declKind.name} \`${d.name.name}\` is never used`, { label: 'unused', help: d.declKind.name === 'reward' ? `add it to a stage's \`rewards\`, or remove it` : 'refer to it from a stage, or remove it' }));
  }
}

/** The divisor of n closest to want (ties: the smaller one). */
function closestDivisor(n: number, want: number): number {
  let best = 1;
  for (let k = 1; k <= n; k++) if (n % k === 0 && Math.abs(k - want) < Math.abs(best - want)) best = k;
  return best;
}
