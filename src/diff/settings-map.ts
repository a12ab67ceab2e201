// Which `.siri` setting each field of the execution graph comes from (`optimizer.lr` ← `lr`,
// `loss.clip_high` ← `clip.high`), and the key table that gives that setting its unit. The diff
// compares graphs; this is how it names a change in the user's words and finds its origin.
import type { IRNode } from '../ir/graph.js';
import * as S from '../semantics/schemas.js';
import { own, type FnSpec, type KeyTable } from '../semantics/types.js';

export interface SettingRef {
  /** The setting's key path in the declaration (`['clip', 'high']`). */
  path: string[];
  /** True when the graph field is that setting as written (then the diff names it so). */
  exact: boolean;
}

/** Graph field (dotted) → setting, per node type; fields not listed map to the setting of the same name, if any. */
const FIELDS: Record<string, Record<string, string | [string, 'part']>> = {
  train: {
    'data.dataset': ['data', 'part'],
    'data.split': ['data', 'part'],
    'optimizer.lr': 'lr',
    'optimizer.lr_schedule': 'lr_schedule',
    'optimizer.warmup': 'warmup',
    'optimizer.min_lr': 'min_lr',
    'optimizer.weight_decay': 'weight_decay',
    'optimizer.beta1': 'betas.beta1',
    'optimizer.beta2': 'betas.beta2',
    'optimizer.eps': 'betas.eps',
    'optimizer.grad_clip': 'grad_clip',
    'loss.clip_low': 'clip.low',
    'loss.clip_high': 'clip.high',
    'loss.agg': 'loss_agg',
    'loss.kl_coef': ['kl', 'part'],
    'loss.kl_estimator': 'kl.estimator',
    'loss.std_scale': 'std_scale',
    'loss.entropy_coef': 'entropy',
    'loss.overlong_filter': ['overlong', 'part'],
    'loss.clip_ratio_c': 'dual_clip',
    'dynamic_sampling.enabled': ['dynamic_sampling', 'part'],
    'dynamic_sampling.max_rounds': 'dynamic_sampling.max_rounds',
    'dynamic_sampling.metric': 'dynamic_sampling.metric',
    'sampling.temperature': 'temperature',
    'sampling.top_p': 'top_p',
    'sampling.top_k': 'top_k',
    checkpoints: ['checkpoint', 'part'],
    keep_periodic: 'checkpoint.keep',
  },
  model: { 'source.kind': ['source', 'part'], 'tokenizer.kind': ['tokenizer', 'part'], 'tokenizer.path': ['tokenizer', 'part'] },
  dataset: { 'source.kind': ['source', 'part'], 'source.task': ['source', 'part'], 'prompt.text': 'prompt', 'prompt.fields': ['prompt', 'part'], 'answer.text': 'answer', 'answer.fields': ['answer', 'part'], 'response.text': 'response', 'response.fields': ['response', 'part'] },
  eval: { 'data.dataset': ['data', 'part'], 'data.split': ['data', 'part'], points: ['every', 'part'] },
};

/** The key table of a node's declaration kind (with the variant its algorithm or kind selects). */
export function keyTableOf(node: IRNode | { type: 'pipeline' }): KeyTable {
  switch (node.type) {
    case 'pipeline':
      return S.PIPELINE_KEYS;
    case 'model':
      return S.MODEL_KEYS;
    case 'dataset':
      return S.DATASET_KEYS;
    case 'reward':
      return { ...S.REWARD_COMMON, ...own(S.REWARD_VARIANTS, node.kind) };
    case 'train':
      return { ...S.TRAIN_COMMON, ...own(S.TRAIN_VARIANTS, node.algorithm) };
    case 'eval':
      return S.EVAL_KEYS;
    case 'schedule':
      return {};
  }
}

/** The setting a graph field comes from, or undefined for a field the compiler derives (`start_step`). */
export function settingOf(type: string, field: string[], table: KeyTable): SettingRef | undefined {
  const dotted = field.join('.');
  const mapped = FIELDS[type]?.[dotted];
  if (typeof mapped === 'string') return { path: mapped.split('.'), exact: true };
  if (mapped) return { path: mapped[0].split('.'), exact: false };
  // `source.layers` ← `source = scratch(layers = ...)`; a reward's `params.pattern` ← `pattern`.
  const path = type === 'reward' && field[0] === 'params' ? field.slice(1) : type === 'dataset' && field[0] === 'source' && field[1] === 'params' ? ['source', ...field.slice(2)] : field;
  if (!own(table, path[0]!)) return undefined;
  return { path, exact: true };
}

const FNS: Record<string, FnSpec> = { scratch: S.SCRATCH, ...S.DATASET_SOURCE_FNS, ...S.CURVE_FNS };

/** Positional parameter names of a built-in function (`scratch(2, 64)` → layers, d_model). */
export function fnParams(fn: string): string[] {
  if (fn === 'hf') return ['path'];
  return Object.keys(own(FNS, fn)?.params ?? {});
}
