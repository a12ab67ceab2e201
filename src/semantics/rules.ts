// Rules for values that each pass their own key's check but are certainly wrong (errors) or very
// likely a mistake (warnings) given the rest of the pipeline: learning rates, warm-up against the
// stage's length, rewards listed twice, DAPO's overlong buffer against the schedule's budget,
// sampling that makes a group's responses identical, batches larger than the data, settings
// that have no effect. Each points at the value the user wrote and names what to write instead.
import type { Span } from '../ast/ast.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import type { Checked, PhaseSpec, Settings } from './check.js';
import type { Json } from './types.js';
import { toUserSite } from './site.js';
import type { Instance, Value } from './values.js';

/** Above this a learning rate cannot train anything (AdamW steps of that size diverge). */
const LR_ERROR = 1;
/** Above this a learning rate is far outside what the presets and papers use (1e-6 to 2e-3). */
const LR_WARNING = 1e-2;

const nSteps = (n: number): string => `${n} step${n === 1 ? '' : 's'}`;
const refId = (j: Json | undefined): string | undefined => (j && typeof j === 'object' && !Array.isArray(j) ? (j['ref'] as string) : undefined);

/** The span of `key` (or `key.sub`) as written, falling back to the declaration's name. */
export function spanOf(inst: Instance, ...path: string[]): Span {
  let v: Value | undefined;
  let entries = inst.entries;
  for (const k of path) {
    v = entries.get(k)?.value;
    if (!v) break;
    if (v.t === 'record') entries = v.entries;
  }
  return v?.span ?? inst.decl.name.span;
}

/** How many steps a train stage runs: `steps`, or its schedule's length. */
export function stageSteps(s: Settings, phases: ReadonlyMap<string, PhaseSpec[]>): number | undefined {
  if (typeof s['steps'] === 'number') return s['steps'];
  const ph = phases.get(refId(s['max_tokens']) ?? '');
  return ph ? ph.reduce((n, p) => n + p.steps, 0) : undefined;
}

/** The smallest rollout budget a stage reaches, and the phase where it does. */
function smallestBudget(s: Settings, phases: ReadonlyMap<string, PhaseSpec[]>): { tokens: number; phase?: PhaseSpec } | undefined {
  if (typeof s['max_tokens'] === 'number') return { tokens: s['max_tokens'] };
  const ph = phases.get(refId(s['max_tokens']) ?? '');
  if (!ph?.length) return undefined;
  let best = ph[0]!;
  for (const p of ph) if (Math.min(p.curve.from, p.curve.to) < Math.min(best.curve.from, best.curve.to)) best = p;
  return { tokens: Math.min(best.curve.from, best.curve.to), phase: best };
}

export function pipelineRules(checked: ReadonlyMap<string, Checked>, phases: ReadonlyMap<string, PhaseSpec[]>, out: Diagnostic[]): void {
  for (const c of checked.values()) {
    const mark = out.length;
    if (c.inst.kind === 'train') trainRules(c, checked, phases, out);
    if (c.inst.kind === 'dataset') datasetRules(c, out);
    if (c.inst.kind === 'eval') evalRules(c, checked, out);
    toUserSite(c.inst, out, mark);
  }
}

/** A fixed eval `max_tokens` the evaluated models cannot hold (the runtime would cut it silently). */
function evalRules({ inst, settings: s }: Checked, checked: ReadonlyMap<string, Checked>, out: Diagnostic[]): void {
  const budget = s['max_tokens'];
  if (typeof budget !== 'number') return;
  const named = s['stages'] as Json[] | undefined;
  const stages = named ? named.map((r) => checked.get(refId(r) ?? '')) : [...checked.values()].filter((c) => c.inst.kind === 'train');
  const reported = new Set<string>();
  for (const t of stages) {
    const model = checked.get(refId(t?.settings['policy']) ?? '');
    const ctx = contextOf(model?.settings);
    if (!model || ctx === undefined || budget < ctx || reported.has(model.inst.id)) continue;
    reported.add(model.inst.id);
    out.push(diag('E0408', spanOf(inst, 'max_tokens'), `the eval budget of ${budget} tokens leaves no room for the prompt in the ${ctx}-token context of the model \`${model.inst.name}\``, { label: budget > ctx ? 'longer than the model context' : 'as long as the whole model context', help: `set \`max_tokens\` below ${ctx} tokens, or \`max_tokens = max_budget\` (the largest budget of the stages evaluated)` }));
  }
}

/** The context length of a model, when the pipeline states it (`scratch(context = ...)`). */
function contextOf(model: Settings | undefined): number | undefined {
  const src = model?.['source'] as Settings | undefined;
  return src?.['fn'] === 'scratch' ? (src['context'] as number) : undefined;
}

function trainRules({ inst, settings: s }: Checked, checked: ReadonlyMap<string, Checked>, phases: ReadonlyMap<string, PhaseSpec[]>, out: Diagnostic[]): void {
  const grpo = s['algorithm'] === 'grpo';
  const lr = s['lr'] as number;
  const lrHelp = 'the presets use `lr = 1e-6` for a pretrained model; a small scratch model trains with about `lr = 1e-3`';
  if (lr > LR_ERROR) {
    out.push(diag('E0409', spanOf(inst, 'lr'), `\`lr = ${lr}\` is far too large for a learning rate`, { label: 'every update would diverge', help: `${lrHelp} (did you mean \`${lr}e-6\`?)` }));
  } else if (lr > LR_WARNING) {
    out.push(diag('W0005', spanOf(inst, 'lr'), `\`lr = ${lr}\` is an unusually large learning rate`, { label: `above ${LR_WARNING}`, help: lrHelp }));
  }

  const steps = stageSteps(s, phases);
  const warmup = s['warmup'] as number;
  if (steps !== undefined && warmup > 0 && warmup >= steps) {
    out.push(diag('W0007', spanOf(inst, 'warmup'), `\`warmup\` (${warmup} steps) is not shorter than the stage \`${inst.name}\` (${steps} steps)`, { label: 'the learning rate never reaches `lr`', help: `use a warm-up shorter than the stage, e.g. \`warmup = ${nSteps(Math.max(1, Math.floor(steps / 10)))}\`, or \`warmup = 0 steps\`` }));
  }
  if (s['lr_schedule'] === 'constant' && (s['min_lr'] as number) > 0 && inst.entries.has('min_lr')) {
    out.push(diag('W0004', spanOf(inst, 'min_lr'), '`min_lr` has no effect with `lr_schedule = constant`', { label: 'nothing decays to it', help: 'set `lr_schedule = cosine` (or `linear`) to decay towards it, or remove `min_lr`' }));
  }
  const every = (s['checkpoint'] as Settings | undefined)?.['every'];
  if (steps !== undefined && typeof every === 'number' && every > steps) {
    out.push(diag('W0004', spanOf(inst, 'checkpoint', 'every'), `\`every = ${every} steps\` is longer than the stage \`${inst.name}\` (${steps} steps)`, { label: 'never saves', help: `use \`every = ${nSteps(Math.max(1, Math.floor(steps / 4)))}\`, or \`every = off\` (the stage's end is saved by \`at_end\`)` }));
  }

  const data = checked.get(refId(s['data']) ?? '');
  const rows = data ? trainRows(data.settings) : undefined;
  if (rows !== undefined && rows > 0 && (s['batch'] as number) > rows) {
    out.push(diag('W0006', spanOf(inst, 'batch'), `\`batch\` (${inst.entries.has('batch') ? '' : 'by default '}${s['batch']} prompts) is larger than the ${rows} training rows of the dataset \`${data!.inst.name}\``, { label: 'the same prompts repeat within a step', help: `use \`batch = ${rows} prompts\` or fewer, or give the dataset more rows` }));
  }

  if (!grpo) return;
  duplicateRewards(inst, out);
  if ((s['top_k'] as number) === 1) {
    out.push(diag('E0414', spanOf(inst, 'top_k'), `\`top_k = 1\` makes all ${s['group']} responses of a group the same`, { label: 'greedy sampling', help: 'GRPO learns from differences within a group: use `top_k = 0` (off) or a larger value such as `top_k = 50`' }));
  }
  const budget = smallestBudget(s, phases);
  for (const r of (s['rewards'] as Json[]) ?? []) {
    const reward = checked.get(refId(r) ?? '');
    if (!budget || reward?.settings['kind'] !== 'overlong') continue;
    const buffer = reward.settings['buffer'] as number;
    if (buffer < budget.tokens) continue;
    const where = budget.phase ? `the phase \`${budget.phase.name}\` lowers the budget to ${budget.tokens} tokens` : `the budget is ${budget.tokens} tokens`;
    out.push(
      diag('E0413', spanOf(reward.inst, 'buffer'), `the overlong \`buffer\` of \`${reward.inst.name}\` (${buffer} tokens) is not below the smallest budget of \`${inst.name}\` (${budget.tokens} tokens)`, {
        label: 'every response would be penalised',
        help: `use a \`buffer\` well below ${budget.tokens} tokens, e.g. \`buffer = ${Math.max(1, Math.floor(budget.tokens / 5))} tokens\` (DAPO: 4k of a 20k budget)`,
        related: budget.phase ? [{ message: where, span: budget.phase.span }] : [],
      }),
    );
  }
}

/** Rows a stage can draw from, when the pipeline alone says (a generated task, or a `limit`). */
function trainRows(ds: Settings): number | undefined {
  const src = ds['source'] as Settings;
  const limit = typeof ds['limit'] === 'number' ? ds['limit'] : undefined;
  if (src['fn'] === 'generated') {
    const size = ((src['params'] as Settings | undefined)?.['train_size'] as number | undefined) ?? 20000;
    return Math.min(size, limit ?? size);
  }
  return limit !== undefined ? limit - (ds['holdout'] as number) : undefined;
}

function duplicateRewards(inst: Instance, out: Diagnostic[]): void {
  const list = inst.entries.get('rewards')?.value;
  if (list?.t !== 'list') return;
  const first = new Map<string, Span>();
  for (const item of list.items) {
    if (item.t !== 'ref') continue;
    const prev = first.get(item.target.id);
    if (!prev) {
      first.set(item.target.id, item.span);
      continue;
    }
    out.push(diag('E0411', item.span, `the reward \`${item.target.name}\` is listed twice`, { label: 'listed again here', help: `list it once; to make it count more, derive one with a larger weight: \`reward ${item.target.name}_x2 = ${item.target.name} with { weight = 2 }\``, related: [{ message: 'first listed', span: prev }] }));
  }
}

function datasetRules({ inst, settings: s }: Checked, out: Diagnostic[]): void {
  const src = s['source'] as Settings;
  const holdout = s['holdout'] as number;
  if (src['fn'] === 'generated' && holdout > 0) {
    out.push(diag('W0004', spanOf(inst, 'holdout'), `\`holdout\` has no effect on the generated task \`${src['task']}\``, { label: 'generated tasks have their own eval split', help: `remove \`holdout\`; to size the eval split write \`source = generated("${src['task']}", eval_size = ${holdout} rows)\`` }));
  }
  if (src['fn'] !== 'generated' && typeof s['limit'] === 'number' && holdout >= s['limit']) {
    out.push(diag('E0415', spanOf(inst, 'holdout'), `\`holdout = ${holdout} rows\` keeps every one of the ${s['limit']} rows (\`limit\`) out of training`, { label: 'nothing left to train on', help: `use a holdout below the limit, e.g. \`holdout = ${Math.floor((s['limit'] as number) / 10)} rows\`, or raise \`limit\`` }));
  }
}
