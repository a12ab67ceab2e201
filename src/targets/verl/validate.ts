// Checks of the emitted overrides before a GPU-hour is spent: each key against a verl key list
// (our built-in table, verl's flattened keys.txt, or the generated YAML of the verl a user has),
// and verl's own cross-checks that would otherwise fail, or silently misbehave, on the cluster.
import { VERL_KEYS, type VerlType } from './keys.js';
import { kindOfText, type Override, type ValueKind, type VerlValue } from './overrides.js';

/** `any`: the default is null, `???` or an interpolation, so any value is accepted. */
export type DefaultKind = ValueKind | 'any';

export interface KnownKey {
  kind: DefaultKind;
  status: 'live' | 'dead' | 'legacy' | 'plus';
}

export interface KeySource {
  /** Shown in messages: `verl 0.9.0 (built-in table)`, or the YAML's path. */
  label: string;
  keys: Map<string, KnownKey>;
}

const TYPE_KIND: Record<VerlType, ValueKind> = { int: 'int', float: 'float', bool: 'bool', str: 'str', list: 'list', dict: 'dict' };

export function builtinKeys(label: string): KeySource {
  return { label, keys: new Map(VERL_KEYS.map((x) => [x.path, { kind: TYPE_KIND[x.type], status: x.plus ? 'plus' : 'live' }])) };
}

function kindOfDefault(text: string): DefaultKind {
  const t = text.trim();
  if (t === 'null' || t === '~' || t === '' || t === '???' || t === '"???"' || t.includes('${')) return 'any';
  if (/^["'].*["']$/.test(t)) return 'str';
  return kindOfText(t);
}

/** verl's flattened key list: `path = default` lines, `# LEGACY path`, `# DEAD path`, `+path = default`. */
export function parseKeysTxt(text: string, label: string): KeySource {
  const keys = new Map<string, KnownKey>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    const marked = /^# (LEGACY|DEAD) ([\w.]+)/.exec(raw.trim());
    if (marked) {
      keys.set(marked[2]!, { kind: 'any', status: marked[1] === 'DEAD' ? 'dead' : 'legacy' });
      continue;
    }
    const m = /^(\+?)([\w.]+) = (.*)$/.exec(line);
    if (!m || raw.startsWith('#')) continue;
    keys.set(m[2]!, { kind: kindOfDefault(m[3]!), status: m[1] ? 'plus' : 'live' });
  }
  return { label, keys };
}

/**
 * The leaf keys of verl's generated config (`_generated_ppo_trainer.yaml`). It is plain block
 * YAML written by OmegaConf: nested maps, scalars, `{}`/`[]`, and block lists (kept as one leaf).
 * Keys verl reads without declaring them (our `+` keys) are added from the built-in table.
 */
export function flattenVerlYaml(text: string, label: string): KeySource {
  const keys = new Map<string, KnownKey>();
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const stack: { indent: number; key: string }[] = [];
  const indentOf = (l: string): number => l.length - l.trimStart().length;
  const content = (l: string): boolean => l.trim() !== '' && !l.trimStart().startsWith('#');
  let scalarIndent = -1; // the indent of the last `key: value`, whose value may continue below
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!content(line)) continue;
    const indent = indentOf(line);
    const m = /^\s*("[^"]*"|'[^']*'|[^:#\s][^:#]*?):(?:\s+(.*))?$/.exec(line);
    if (!m && indent > scalarIndent && scalarIndent >= 0) continue; // a long value folded onto the next line
    scalarIndent = -1;
    if (line.trimStart().startsWith('- ') || line.trim() === '-') continue; // inside a list already recorded
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    if (!m) throw new Error(`${label}:${i + 1}: not the YAML verl writes: ${line.trim()}`);
    const key = m[1]!.replace(/^["']|["']$/g, '');
    const path = [...stack.map((s) => s.key), key].join('.');
    const rest = (m[2] ?? '').replace(/\s+#.*$/, '').trim();
    if (rest !== '') {
      keys.set(path, { kind: kindOfDefault(rest), status: 'live' });
      scalarIndent = indent;
      continue;
    }
    let j = i + 1;
    while (j < lines.length && !content(lines[j]!)) j++;
    const next = lines[j];
    if (next !== undefined && indentOf(next) >= indent && next.trimStart().startsWith('-')) {
      keys.set(path, { kind: 'list', status: 'live' });
      // Skip the list's items (and the lines of items that are maps).
      while (j < lines.length && (!content(lines[j]!) || indentOf(lines[j]!) > indent || (indentOf(lines[j]!) === indent && lines[j]!.trimStart().startsWith('-')))) j++;
      i = j - 1;
    } else if (next === undefined || indentOf(next) <= indent) {
      keys.set(path, { kind: 'any', status: 'live' }); // `key:` alone is null
    } else {
      stack.push({ indent, key });
    }
  }
  for (const x of VERL_KEYS) if (x.plus && !keys.has(x.path)) keys.set(x.path, { kind: TYPE_KIND[x.type], status: 'plus' });
  return { label, keys };
}

export interface KeyProblem {
  key: string;
  message: string;
}

const compatible = (want: DefaultKind, got: ValueKind, key: string): boolean =>
  want === 'any' || got === 'null' || want === got || (want === 'float' && got === 'int') || (want === 'int' && got === 'float') ||
  // verl reads data.*_files as one path or a list of paths.
  (want === 'str' && got === 'list' && key.endsWith('_files'));

/** Each emitted key must be a live key of `src` (or an allowed `+` key) with a value of its default's type. */
export function checkKeys(lines: readonly string[], src: KeySource): KeyProblem[] {
  const out: KeyProblem[] = [];
  for (const line of lines) {
    const m = /^(\+?)([^=]+)=(.*)$/.exec(line);
    if (!m) {
      out.push({ key: line, message: `\`${line}\` is not a Hydra override` });
      continue;
    }
    const [, plus, key, value] = m as unknown as [string, string, string, string];
    const known = src.keys.get(key);
    if (!known) out.push({ key, message: `\`${key}\` is not a key of ${src.label}` });
    else if (known.status === 'dead') out.push({ key, message: `\`${key}\` is accepted by ${src.label} but nothing reads it (DEAD)` });
    else if (known.status === 'legacy') out.push({ key, message: `\`${key}\` is a legacy key that ${src.label} accepts and ignores (LEGACY)` });
    else if (known.status === 'plus' && !plus) out.push({ key, message: `\`${key}\` is not in ${src.label}'s YAML: it needs \`+${key}\`` });
    else if (known.status === 'live' && plus) out.push({ key, message: `\`+${key}\` adds a key that ${src.label} already has: Hydra refuses it` });
    else if (!compatible(known.kind, kindOfText(value), key)) out.push({ key, message: `\`${key}=${value}\` is a ${kindOfText(value)}, but ${src.label} has a ${known.kind} there` });
  }
  return out;
}

/** What the job's rows and schedule need from verl, beside the overrides themselves. */
export interface JobFacts {
  maxBudget: number;
  minBudget: number;
  evalMaxTokens: number | null;
  /** The `buffer` of each overlong reward, by reward id. */
  overlongBuffers: { reward: string; buffer: number }[];
  /** Training rows, once converted: verl drops the last partial batch of an epoch. */
  trainRows?: number;
}

/** Where a failed cross-check points: a setting of an IR node (`train.rl` `batch`), or the cluster flags. */
export interface RuleProblem {
  message: string;
  hint: string;
  at: { node: string; key: string } | 'cluster';
}

const num = (m: Map<string, VerlValue>, k: string): number | undefined => (typeof m.get(k) === 'number' ? (m.get(k) as number) : undefined);

/** verl's own checks (batch divisibility, micro-batching, sync mode, lengths), repeated here. */
export function crossCheck(overrides: readonly Override[], facts: JobFacts, stage: string): RuleProblem[] {
  const m = new Map(overrides.map((o) => [o.key, o.value]));
  const out: RuleProblem[] = [];
  const A = 'actor_rollout_ref.actor';
  const gpus = (num(m, 'trainer.nnodes') ?? 1) * (num(m, 'trainer.n_gpus_per_node') ?? 8);
  const n = num(m, 'actor_rollout_ref.rollout.n') ?? 1;
  const batch = num(m, 'data.train_batch_size') ?? 0;
  const mini = num(m, `${A}.ppo_mini_batch_size`) ?? 0;
  if (m.get('trainer.use_v1') !== true || m.get('trainer.v1.trainer_mode') !== 'sync') {
    out.push({ message: 'the job must run verl\'s V1 trainer in `sync` mode (async modes stamp prompts with a stale step, so the budget would lag)', hint: 'emit trainer.use_v1=true and trainer.v1.trainer_mode=sync', at: 'cluster' });
  }
  if ((batch * n) % gpus !== 0) {
    out.push({ message: `verl splits the ${batch * n} responses of a step (${batch} prompts × ${n}) over ${gpus} GPUs, and ${batch * n} is not a multiple of ${gpus}`, hint: `use a \`batch\` whose product with \`group\` is a multiple of ${gpus}, or other --nodes/--gpus-per-node`, at: { node: stage, key: 'batch' } });
  }
  if (facts.trainRows !== undefined && facts.trainRows < batch) {
    out.push({ message: `the training data has ${facts.trainRows} rows, fewer than the ${batch} prompts of one step: verl's data loader drops the last partial batch, so it would yield nothing`, hint: `use a \`batch\` of at most ${facts.trainRows} prompts, or more data`, at: { node: stage, key: 'batch' } });
  }
  if (mini > 0 && ((mini * n) % gpus !== 0 || mini * n < gpus)) {
    out.push({ message: `verl splits each mini-batch of ${mini * n} responses (${mini} prompts × ${n}) over ${gpus} GPUs, which does not divide evenly`, hint: `use a \`mini_batch\` whose product with \`group\` is a multiple of ${gpus}`, at: { node: stage, key: 'mini_batch' } });
  }
  if (m.get(`${A}.use_dynamic_bsz`) !== true && m.get(`${A}.ppo_micro_batch_size_per_gpu`) === undefined) {
    out.push({ message: 'verl needs a micro-batch size or dynamic batch size', hint: `emit ${A}.use_dynamic_bsz=true`, at: 'cluster' });
  }
  const resp = num(m, 'data.max_response_length') ?? 0;
  const prompt = num(m, 'data.max_prompt_length') ?? 0;
  if (m.get(`${A}.use_dynamic_bsz`) === true && (num(m, `${A}.ppo_max_token_len_per_gpu`) ?? 0) < prompt + resp) {
    out.push({ message: `${A}.ppo_max_token_len_per_gpu is below one full sequence (${prompt} + ${resp} tokens)`, hint: `set it to at least ${prompt + resp}`, at: 'cluster' });
  }
  if (resp < facts.maxBudget) out.push({ message: `data.max_response_length = ${resp} is below the largest budget (${facts.maxBudget}): verl pads to it and cuts longer responses`, hint: `set it to at least ${facts.maxBudget}`, at: { node: stage, key: 'max_tokens' } });
  if (facts.evalMaxTokens !== null && resp < facts.evalMaxTokens) out.push({ message: `data.max_response_length = ${resp} is below the eval cap (${facts.evalMaxTokens})`, hint: `set it to at least ${facts.evalMaxTokens}`, at: { node: stage, key: 'max_tokens' } });
  for (const o of facts.overlongBuffers) {
    if (o.buffer > facts.minBudget) out.push({ message: `the overlong buffer (${o.buffer} tokens) is longer than the smallest budget (${facts.minBudget})`, hint: `use a buffer below ${facts.minBudget} tokens`, at: { node: o.reward, key: 'buffer' } });
  }
  const tp = num(m, 'actor_rollout_ref.rollout.tensor_model_parallel_size') ?? 1;
  if ((num(m, 'trainer.n_gpus_per_node') ?? 8) % tp !== 0) out.push({ message: `--tp ${tp} does not divide the ${num(m, 'trainer.n_gpus_per_node') ?? 8} GPUs of a node`, hint: 'use a --tp that divides --gpus-per-node', at: 'cluster' });
  if (m.get('algorithm.filter_groups.enable') === true && typeof m.get('algorithm.filter_groups.metric') !== 'string') {
    out.push({ message: 'verl\'s group filter needs a metric', hint: 'emit algorithm.filter_groups.metric=acc', at: { node: stage, key: 'dynamic_sampling' } });
  }
  return out;
}

