// Checked declarations → the execution graph. Every default is filled in and written out, every
// `off`/`auto` is resolved to what it means, and each stage's budget is expanded step by step.
import { createHash } from 'node:crypto';
import type { CheckResult, Checked, Settings } from '../semantics/check.js';
import type { Json } from '../semantics/types.js';
import type { Program } from '../semantics/loader.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import { answerReward } from './judge.js';
import type { IR, IRCheckpoint, IRDataset, IREval, IRModel, IRNode, IRPhase, IRReward, IRSchedule, IRTrain } from './graph.js';
import { IR_VERSION } from './graph.js';
import { expandPhases } from './schedule.js';
import { qualifyCheckpointNames } from './checkpoint-names.js';
import { VERSION } from '../version.js';

type Obj = Record<string, Json>;
const ref = (j: Json | undefined): string => ((j as Obj | undefined)?.['ref'] as string) ?? '';
const field = (j: Json | undefined): string | undefined => (j as Obj | undefined)?.['field'] as string | undefined;
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface Override {
  path: string;
  value: string;
}

export function lower(program: Program, result: CheckResult, overrides: Override[]): { ir?: IR; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const p = result.pipeline!;
  const all = [...result.checked.values()].sort((a, b) => (a.inst.id < b.inst.id ? -1 : a.inst.id > b.inst.id ? 1 : 0));
  const of = (kind: string) => all.filter((c) => c.inst.kind === kind);

  const models = of('model').map(lowerModel);
  const datasets = of('dataset').map(lowerDataset);
  const rewards = of('reward').map(lowerReward);
  const schedules = of('schedule').map((c) => lowerSchedule(c, result));
  const scheduleById = new Map(schedules.map((s) => [s.id, s]));
  const datasetById = new Map(datasets.map((d) => [d.id, d]));

  const ordered = orderStages(of('train'));
  const trains = ordered.map((c, order) => lowerTrain(c, order, scheduleById, datasetById, diagnostics));
  qualifyCheckpointNames(trains, new Map(ordered.map((c) => [c.inst.id, c.inst.decl.name.span])), diagnostics);
  let step = 0;
  for (const t of trains) {
    t.start_step = step;
    step += t.steps;
  }
  const explicitJudges = new Set(of('eval').flatMap((c) => (c.settings['judge'] ? [ref(c.settings['judge'])] : [])));
  const defaultJudge = answerReward([...rewards, ...trains], explicitJudges)?.id ?? null;
  const evals = of('eval').map((c) => lowerEval(c, trains, datasetById, diagnostics, defaultJudge));

  const nodes: IRNode[] = [...models, ...datasets, ...rewards, ...schedules, ...trains, ...evals];
  const edges: IR['edges'] = [];
  for (const t of trains) {
    edges.push({ from: t.policy, to: t.id, kind: 'policy' }, { from: t.data.dataset, to: t.id, kind: 'data' });
    for (const r of t.rewards) edges.push({ from: r, to: t.id, kind: 'reward' });
    if (t.budget.schedule) edges.push({ from: t.budget.schedule, to: t.id, kind: 'schedule' });
    for (const a of t.after) edges.push({ from: a, to: t.id, kind: 'after' });
  }
  for (const e of evals) {
    edges.push({ from: e.data.dataset, to: e.id, kind: 'data' });
    for (const s of e.stages) edges.push({ from: s, to: e.id, kind: 'eval' });
    if (e.judge) edges.push({ from: e.judge, to: e.id, kind: 'reward' });
  }

  const sources = program.modules
    .map((m) => ({ path: m.irPath, sha256: sha256(m.file.text) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ps = p.settings;
  const ir: IR = {
    siri_ir: IR_VERSION,
    compiler: `siric ${VERSION}`,
    source_hash: `sha256:${sha256(sources.map((s) => `${s.path}\n${s.sha256}\n`).join('') + overrides.map((o) => `--set ${o.path}=${o.value}\n`).join(''))}`,
    sources,
    overrides,
    pipeline: {
      id: p.inst.id,
      name: p.inst.name,
      file: program.entry.irPath,
      seed: ps['seed'] as number,
      backend: ps['backend'] as IR['pipeline']['backend'],
      out: ps['out'] as string,
      description: ps['description'] as string,
    },
    nodes,
    edges,
    total_steps: step,
  };
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { ir, diagnostics };
}

function lowerModel(c: Checked): IRModel {
  const s = c.settings;
  const src = s['source'] as Obj;
  let source: IRModel['source'];
  if (src['fn'] === 'scratch') {
    const heads = src['heads'] as number;
    const d = src['d_model'] as number;
    source = {
      kind: 'scratch',
      layers: src['layers'] as number,
      d_model: d,
      heads,
      kv_heads: src['kv_heads'] === 'heads' ? heads : (src['kv_heads'] as number),
      ffn: src['ffn'] === 'auto' ? 4 * d : (src['ffn'] as number),
      context: src['context'] as number,
      tie_embeddings: src['tie_embeddings'] as boolean,
      rope_theta: src['rope_theta'] as number,
      norm_eps: src['norm_eps'] as number,
    };
  } else source = { kind: 'hf', path: src['path'] as string };
  const tok = s['tokenizer'];
  const tokenizer: IRModel['tokenizer'] =
    tok === 'chars' || (tok === 'auto' && source.kind === 'scratch') ? { kind: 'chars' } : tok === 'auto' ? { kind: 'hf', path: (source as { path: string }).path } : { kind: 'hf', path: (tok as Obj)['path'] as string };
  return { id: c.inst.id, type: 'model', name: c.inst.name, source, tokenizer, chat_template: s['chat_template'] as IRModel['chat_template'], dtype: s['dtype'] as IRModel['dtype'] };
}

const template = (j: Json | undefined): IRDataset['prompt'] | null => (j === undefined ? null : (j as IRDataset['prompt']));

function lowerDataset(c: Checked): IRDataset {
  const s = c.settings;
  const src = s['source'] as Obj;
  const source: IRDataset['source'] = src['fn'] === 'generated' ? { kind: 'generated', task: src['task'] as string, params: src['params'] as Obj } : { kind: src['fn'] as 'jsonl' | 'parquet', path: src['path'] as string };
  return {
    id: c.inst.id,
    type: 'dataset',
    name: c.inst.name,
    source,
    prompt: template(s['prompt'])!,
    answer: template(s['answer']),
    response: template(s['response']),
    fields: (s['fields'] as string[] | undefined) ?? null,
    holdout: s['holdout'] as number,
    limit: s['limit'] === 'off' ? null : (s['limit'] as number),
    shuffle: s['shuffle'] as boolean,
    on_bad_row: s['on_bad_row'] as IRDataset['on_bad_row'],
    on_long_prompt: s['on_long_prompt'] as IRDataset['on_long_prompt'],
  };
}

function lowerReward(c: Checked): IRReward {
  const { kind, weight, truncated, on_error, ...params } = c.settings;
  return { id: c.inst.id, type: 'reward', name: c.inst.name, kind: kind as IRReward['kind'], weight: weight as number, truncated: truncated as IRReward['truncated'], on_error: on_error as IRReward['on_error'], params };
}

function lowerSchedule(c: Checked, result: CheckResult): IRSchedule {
  const ex = expandPhases(result.phases.get(c.inst.id)!);
  return { id: c.inst.id, type: 'schedule', name: c.inst.name, total_steps: ex.byStep.length, phases: ex.phases };
}

/** Topological order by `after`; stages that don't depend on each other keep their source order. */
function orderStages(trains: Checked[]): Checked[] {
  const pos = (c: Checked) => [c.inst.module.irPath, c.inst.decl.span.start.offset] as const;
  const bySource = [...trains].sort((a, b) => {
    const [fa, oa] = pos(a);
    const [fb, ob] = pos(b);
    return fa === fb ? oa - ob : fa < fb ? -1 : 1;
  });
  const done = new Set<string>();
  const out: Checked[] = [];
  while (out.length < bySource.length) {
    const next = bySource.find((c) => !done.has(c.inst.id) && ((c.settings['after'] as Json[]) ?? []).every((a) => done.has(ref(a))));
    if (!next) break; // a cycle, already reported by the checker
    done.add(next.inst.id);
    out.push(next);
  }
  return out;
}

function lowerTrain(c: Checked, order: number, schedules: Map<string, IRSchedule>, datasets: Map<string, IRDataset>, diagnostics: Diagnostic[]): IRTrain {
  const s = c.settings;
  const algo = s['algorithm'] as IRTrain['algorithm'];
  const grpo = algo === 'grpo';
  const mt = s['max_tokens'];
  const schedule = typeof mt === 'object' ? schedules.get(ref(mt)) : undefined;
  const steps = (s['steps'] as number | undefined) ?? schedule?.total_steps ?? 1;
  let phases: IRPhase[];
  let byStep: number[];
  let phaseByStep: number[];
  if (schedule) {
    phases = schedule.phases;
    const ex = expandPhases(phases.map((ph) => ({ name: ph.name, cycle: ph.cycle, steps: ph.steps, curve: ph.curve, role: ph.role })));
    byStep = ex.byStep;
    phaseByStep = ex.phaseByStep;
  } else {
    const fixed = mt as number;
    const ex = expandPhases([{ name: algo === 'sft' ? 'sft' : 'fixed', cycle: 1, steps, curve: { kind: 'constant', from: fixed, to: fixed }, role: 'hold' }]);
    phases = ex.phases;
    byStep = ex.byStep;
    phaseByStep = ex.phaseByStep;
  }
  const ck = s['checkpoint'] as Obj;
  const checkpoints: IRCheckpoint[] = [];
  const taken = new Set<number>();
  const add = (cp: IRCheckpoint): void => {
    // A periodic checkpoint that falls on a phase or stage end is that checkpoint already.
    if (cp.reason === 'every' && taken.has(cp.step)) return;
    taken.add(cp.step);
    checkpoints.push(cp);
  };
  if (ck['at_phase_end'] && schedule) {
    // SIRI-low/high name the turning points of an alternating schedule; a schedule that only
    // compresses (a linear decay) or only expands has no such points, so its ends stay unlabelled.
    const alternates = phases.some((ph) => ph.role === 'compress') && phases.some((ph) => ph.role === 'expand');
    const siriOf = (role: string): 'low' | 'high' | null => (!alternates ? null : role === 'compress' ? 'low' : role === 'expand' ? 'high' : null);
    for (const ph of phases) add({ step: ph.end, name: `${ph.name}-${ph.cycle}-end`, reason: 'phase_end', siri: siriOf(ph.role) });
  }
  if (ck['at_end']) add({ step: steps, name: `${c.inst.name}-end`, reason: 'stage_end', siri: null });
  if (typeof ck['every'] === 'number') {
    const every = ck['every'];
    for (let k = every; k <= steps; k += every) add({ step: k, name: `${c.inst.name}-step-${k}`, reason: 'every', siri: null });
  }
  checkpoints.sort((a, b) => a.step - b.step || (a.name < b.name ? -1 : 1));

  const dsId = ref(s['data']);
  const split = (field(s['data']) ?? 'train') as IRTrain['data']['split'];
  checkSplit(c, dsId, split, datasets, diagnostics);
  const betas = s['betas'] as Obj;
  const kl = s['kl'];
  const ds = s['dynamic_sampling'];
  const clip = s['clip'] as Obj | undefined;
  const batch = s['batch'] as number;
  return {
    id: c.inst.id,
    type: 'train',
    name: c.inst.name,
    algorithm: algo,
    order,
    start_step: 0,
    steps,
    policy: ref(s['policy']),
    data: { dataset: dsId, split },
    after: ((s['after'] as Json[]) ?? []).map(ref),
    rewards: grpo ? (s['rewards'] as Json[]).map(ref) : [],
    budget: { schedule: schedule?.id ?? null, max: byStep.reduce((a, b) => Math.max(a, b), 1), phases, by_step: byStep, phase_by_step: phaseByStep },
    batch,
    mini_batch: grpo && typeof s['mini_batch'] === 'number' ? s['mini_batch'] : batch,
    group: grpo ? (s['group'] as number) : 1,
    epochs: s['epochs'] as number,
    optimizer: {
      kind: 'adamw',
      lr: s['lr'] as number,
      lr_schedule: s['lr_schedule'] as IRTrain['optimizer']['lr_schedule'],
      warmup: s['warmup'] as number,
      min_lr: s['min_lr'] as number,
      weight_decay: s['weight_decay'] as number,
      beta1: betas['beta1'] as number,
      beta2: betas['beta2'] as number,
      eps: betas['eps'] as number,
      grad_clip: s['grad_clip'] === 'off' ? null : (s['grad_clip'] as number),
    },
    loss: {
      clip_low: grpo ? (clip!['low'] as number) : 0,
      clip_high: grpo ? (clip!['high'] as number) : 0,
      agg: grpo ? (s['loss_agg'] as IRTrain['loss']['agg']) : 'token_mean',
      kl_coef: !grpo || kl === 'off' ? 0 : typeof kl === 'number' ? kl : ((kl as Obj)['coef'] as number),
      kl_estimator: kl && typeof kl === 'object' ? ((kl as Obj)['estimator'] as IRTrain['loss']['kl_estimator']) : 'k3',
      std_scale: grpo ? (s['std_scale'] as boolean) : false,
      entropy_coef: grpo ? (s['entropy'] as number) : 0,
      overlong_filter: grpo && s['overlong'] === 'filter',
      clip_ratio_c: grpo && s['dual_clip'] !== 'off' ? (s['dual_clip'] as number) : null,
    },
    dynamic_sampling: !grpo || ds === 'off' ? { enabled: false, max_rounds: 0, metric: 'acc' } : ds === 'on' ? { enabled: true, max_rounds: 3, metric: 'acc' } : { enabled: true, max_rounds: (ds as Obj)['max_rounds'] as number, metric: (ds as Obj)['metric'] as IRTrain['dynamic_sampling']['metric'] },
    stop_after_nonfinite: s['stop_after_nonfinite'] as number,
    sampling: { temperature: grpo ? (s['temperature'] as number) : 1, top_p: grpo ? (s['top_p'] as number) : 1, top_k: grpo ? (s['top_k'] as number) : 0 },
    checkpoints,
    keep_periodic: ck['keep'] === 'all' ? null : (ck['keep'] as number),
  };
}

function checkSplit(c: Checked, dsId: string, split: string, datasets: Map<string, IRDataset>, diagnostics: Diagnostic[]): void {
  const ds = datasets.get(dsId);
  if (!ds || split !== 'eval') return;
  if (ds.source.kind !== 'generated' && ds.holdout === 0) {
    const span = c.inst.entries.get('data')?.value.span ?? c.inst.decl.name.span;
    diagnostics.push(diag('E0406', span, `the dataset \`${ds.name}\` has no \`eval\` split`, { label: 'no rows are held out', help: `set \`holdout = 200 rows\` in \`${ds.name}\`, or use \`${ds.name}.all\`` }));
  }
}

function lowerEval(c: Checked, trains: IRTrain[], datasets: Map<string, IRDataset>, diagnostics: Diagnostic[], defaultJudge: string | null): IREval {
  const s = c.settings;
  const dsId = ref(s['data']);
  const ds = datasets.get(dsId);
  const defaultSplit = ds && (ds.source.kind === 'generated' || ds.holdout > 0) ? 'eval' : 'all';
  const split = (field(s['data']) ?? defaultSplit) as IREval['data']['split'];
  checkSplit(c, dsId, split, datasets, diagnostics);
  const stageIds = s['stages'] ? (s['stages'] as Json[]).map(ref) : trains.map((t) => t.id);
  const stages = trains.filter((t) => stageIds.includes(t.id));
  const points: IREval['points'] = [];
  if (s['at_start']) points.push({ step: 0, stage: null, reason: 'start' });
  for (const t of stages) {
    const at = new Map<number, IREval['points'][number]['reason']>();
    if (typeof s['every'] === 'number') for (let k = s['every']; k <= t.steps; k += s['every']) at.set(k, 'every');
    if (s['at_phase_end'] && t.budget.schedule) for (const ph of t.budget.phases) at.set(ph.end, 'phase_end');
    if (s['at_end']) at.set(t.steps, 'stage_end');
    for (const [k, reason] of [...at].sort((a, b) => a[0] - b[0])) points.push({ step: t.start_step + k, stage: t.id, reason });
  }
  // The widest rollout budget of the RL stages evaluated (an SFT stage has none of its own).
  const rl = stages.filter((t) => t.algorithm === 'grpo');
  const maxBudget = Math.max(1, ...(rl.length ? rl : stages).map((t) => t.budget.max));
  return {
    id: c.inst.id,
    type: 'eval',
    name: c.inst.name,
    data: { dataset: dsId, split },
    stages: stages.map((t) => t.id),
    mode: s['mode'] as IREval['mode'],
    samples: s['mode'] === 'greedy' ? 1 : (s['samples'] as number),
    temperature: s['temperature'] as number,
    top_p: s['top_p'] as number,
    max_tokens: s['max_tokens'] === 'max_budget' ? maxBudget : (s['max_tokens'] as number),
    limit: s['limit'] === 'off' ? null : (s['limit'] as number),
    points,
    judge: s['judge'] ? ref(s['judge']) : defaultJudge,
  };
}

/** JSON with object keys sorted at every level: the same graph always prints the same bytes. */
export function canonicalJson(v: unknown, indent = 2): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object') return Object.fromEntries(Object.keys(x as object).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])]));
    return x;
  };
  return JSON.stringify(sort(v), null, indent) + '\n';
}

export type { Settings };
