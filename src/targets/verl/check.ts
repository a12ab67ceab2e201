// Every verl-target diagnostic of a compiled pipeline, written nowhere: refusals, approximations
// and failed key or cross-checks, each on the user's own line. `siric check --target verl`,
// `siric compile --target verl` and (later) the language server call this.
import { createHash } from 'node:crypto';
import type { Span } from '../../ast/ast.js';
import type { CompileOutput } from '../../compiler.js';
import { diag, type Code, type Diagnostic } from '../../diagnostics/messages.js';
import type { IR } from '../../ir/graph.js';
import { canonicalJson } from '../../ir/lower.js';
import { spanOf } from '../../semantics/rules.js';
import { toUserSite } from '../../semantics/site.js';
import { VERL_PIN } from './keys.js';
import { DEFAULT_CLUSTER, mapOverrides, planJob, type ClusterOptions, type DataFacts, type JobPlan } from './map.js';
import { formatOverride, type Override } from './overrides.js';
import { approximations, refusals } from './refuse.js';
import { builtinKeys, checkKeys, crossCheck, type JobFacts, type KeySource } from './validate.js';

export interface VerlOptions {
  cluster?: Partial<ClusterOptions>;
  /** The key list to validate against (default: the built-in table of the pinned verl). */
  keys?: KeySource;
  /** Known only once the data is converted (compile); `check` maps without it. */
  data?: DataFacts;
  /** Absolute model and tokenizer paths for the job (default: the IR's, as written). */
  modelPath?: string;
  tokenizerPath?: string | null;
}

export interface VerlTarget {
  diagnostics: Diagnostic[];
  plan?: JobPlan;
  overrides?: Override[];
  lines?: string[];
  facts?: JobFacts;
  graph?: string;
  experiment?: string;
}

export const BUILTIN_LABEL = `verl ${VERL_PIN.version} (siric's built-in key table)`;

export function verlDiagnostics(out: CompileOutput, opts: VerlOptions = {}): Diagnostic[] {
  return verlTarget(out, opts).diagnostics;
}

export function verlTarget(out: CompileOutput, opts: VerlOptions = {}): VerlTarget {
  const ir = out.ir;
  if (!ir) return { diagnostics: [] };
  const ds: Diagnostic[] = [];
  const at = (code: Code, where: { node: string; key: string[] } | 'cluster', message: string, label: string, help: string): void => {
    const inst = out.result?.checked.get(where === 'cluster' ? stageId(ir) : where.node)?.inst;
    const span: Span | undefined = inst ? (where === 'cluster' ? inst.decl.name.span : spanOf(inst, ...where.key)) : undefined;
    const mark = ds.length;
    ds.push(diag(code, span, message, { label, help }));
    if (inst) toUserSite(inst, ds, mark);
  };
  for (const r of refusals(ir)) at(r.code, r.at, r.message, r.label, r.hint);
  for (const a of approximations(ir)) at(a.code, a.at, a.message, a.label, a.hint);
  const plan = planJob(ir);
  if (!plan) {
    if (!ds.length) ds.push(diag('E0608', out.result?.pipeline?.inst.decl.name.span, 'the pipeline has no GRPO stage for verl to run', { label: 'nothing to compile for verl', help: 'add a `train` stage with `algorithm = grpo` (e.g. `train rl = presets.dapo with { ... }`)' }));
    return { diagnostics: ds };
  }
  if (ds.some((d) => d.severity === 'error')) return { diagnostics: ds, plan };

  const graph = canonicalJson(ir);
  const experiment = `${ir.pipeline.name}-${createHash('sha256').update(graph).digest('hex').slice(0, 8)}`;
  const cluster = { ...DEFAULT_CLUSTER, ...opts.cluster };
  const src = plan.model.source;
  const overrides = mapOverrides({
    ir,
    plan,
    cluster,
    modelPath: opts.modelPath ?? (src.kind === 'hf' ? src.path : ''),
    tokenizerPath: opts.tokenizerPath !== undefined ? opts.tokenizerPath : plan.model.tokenizer.kind === 'hf' ? plan.model.tokenizer.path : null,
    experiment,
    ...(opts.data ? { data: opts.data } : {}),
  });
  const lines = overrides.map(formatOverride);
  const keys = opts.keys ?? builtinKeys(BUILTIN_LABEL);
  for (const p of checkKeys(lines, keys)) {
    at('E0610', 'cluster', p.message, `emitted for \`${plan.stage.name}\``, keys.label === BUILTIN_LABEL ? 'this is a bug in siric\'s verl table: please report it' : `siric emits keys of verl ${VERL_PIN.version}; install that version, or check with --verl-config pointing at its _generated_ppo_trainer.yaml`);
  }
  const facts = { ...jobFacts(ir, plan), ...(opts.data ? { trainRows: opts.data.trainRows } : {}) };
  for (const p of crossCheck(overrides, facts, plan.stage.id)) at('E0611', p.at === 'cluster' ? 'cluster' : { node: p.at.node, key: [p.at.key] }, p.message, 'verl would reject this job', p.hint);
  return { diagnostics: ds, plan, overrides, lines, facts, graph, experiment };
}

const stageId = (ir: IR): string => planJob(ir)?.stage.id ?? '';

export function jobFacts(ir: IR, plan: JobPlan): JobFacts {
  const budgets = plan.stage.budget.by_step;
  const overlong = plan.stage.rewards.flatMap((id) => {
    const r = ir.nodes.find((n) => n.id === id);
    return r?.type === 'reward' && r.kind === 'overlong' && typeof r.params['buffer'] === 'number' ? [{ reward: r.id, buffer: r.params['buffer'] }] : [];
  });
  return { maxBudget: Math.max(...budgets), minBudget: Math.min(...budgets), evalMaxTokens: plan.evals[0]?.max_tokens ?? null, overlongBuffers: overlong };
}
