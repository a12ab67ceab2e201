// What each declaration kind accepts: keys, types, ranges, defaults and a line of documentation.
// The checker, the defaults written into the IR and the key tables of docs/language.md all come
// from these tables.
import { diag } from '../diagnostics/messages.js';
import { TASKS } from './tasks.js';
import { decode, decodeCall, describeValue, own, type FnSpec, type Json, type KeyTable, type Spec } from './types.js';

const int = (min?: number, unit?: 'steps' | 'tokens' | 'prompts' | 'responses' | 'rows'): Spec => {
  const s: Spec = { k: 'int' };
  if (min !== undefined) s.min = min;
  if (unit) s.unit = unit;
  return s;
};
const float = (min?: number, max?: number, minExclusive = false): Spec => {
  const s: Spec = { k: 'float' };
  if (min !== undefined) s.min = min;
  if (max !== undefined) s.max = max;
  if (minExclusive) s.minExclusive = true;
  return s;
};
const enumOf = (...values: string[]): Spec => ({ k: 'enum', values });
const bool: Spec = { k: 'bool' };
const str: Spec = { k: 'string', nonEmpty: true };
const ref = (kind: string, fields?: string[]): Spec => (fields ? { k: 'ref', kind, fields } : { k: 'ref', kind });
const tokens = int(1, 'tokens');
const off = enumOf('off');

// ---- pipeline ----

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

export const PIPELINE_KEYS: KeyTable = {
  seed: { spec: int(0), default: 0, doc: 'seed for initialisation, data order and sampling; the same seed reproduces a run' },
  backend: { spec: enumOf(...BACKENDS), default: 'auto', doc: 'TensorFlow.js backend; `auto` picks the best one available' },
  out: { spec: str, default: 'runs', doc: 'folder for run directories, relative to the pipeline file' },
  description: { spec: { k: 'string' }, default: '', doc: 'free text shown by `plan` and recorded in the run manifest' },
};

// ---- model ----

export const SCRATCH: FnSpec = {
  doc: 'a small decoder-only transformer (Llama/Qwen2 layout) initialised from the seed',
  params: {
    layers: { spec: int(1), default: 2, doc: 'transformer blocks' },
    d_model: { spec: int(8), default: 64, doc: 'hidden size' },
    heads: { spec: int(1), default: 4, doc: 'attention heads' },
    kv_heads: { spec: { k: 'oneOf', options: [int(1), enumOf('heads')] }, default: 'heads', doc: 'key/value heads for grouped-query attention (`heads`: one per query head)' },
    ffn: { spec: { k: 'oneOf', options: [int(1), enumOf('auto')] }, default: 'auto', doc: 'SwiGLU inner size (`auto`: 4 × d_model)' },
    context: { spec: tokens, default: 1024, doc: 'longest sequence (prompt + response) the model handles' },
    tie_embeddings: { spec: bool, default: true, doc: 'share the input embedding with the output layer' },
    rope_theta: { spec: float(0, undefined, true), default: 10000, doc: 'rotary embedding base' },
    norm_eps: { spec: float(0, undefined, true), default: 1e-6, doc: 'RMSNorm epsilon' },
  },
};
const HF_PATH: FnSpec = { doc: 'a local Hugging Face folder (config.json, *.safetensors, tokenizer.json)', params: { path: { spec: str, required: true, doc: 'folder path, relative to the pipeline file' } } };

export const MODEL_KEYS: KeyTable = {
  source: { spec: { k: 'call', fns: { scratch: SCRATCH, hf: HF_PATH } }, required: true, doc: '`scratch(...)` for a new small transformer, or `hf("path")` for a local Hugging Face folder' },
  tokenizer: {
    spec: { k: 'oneOf', options: [enumOf('auto', 'chars'), { k: 'call', fns: { hf: { doc: 'a tokenizer.json in a local folder', params: HF_PATH.params } } }] },
    default: 'auto',
    doc: '`chars` (one token per character of the task alphabet), `hf("path")`, or `auto`: the model folder\'s tokenizer for `hf`, `chars` for `scratch`',
  },
  chat_template: {
    spec: enumOf('auto', 'none'),
    default: 'auto',
    doc: '`auto`: wrap each prompt in the chat template of a Hugging Face tokenizer (its tokenizer_config.json), when it has one; `none`: the prompt text as it is (after BOS, when the tokenizer has one)',
  },
  dtype: { spec: enumOf('float32', 'bfloat16', 'float16'), default: 'float32', doc: 'the `torch_dtype` recorded in checkpoints\' config.json; the runtime computes in float32 and saves float32 weights (bf16/fp16 weights are converted on load), so a resumed run continues exactly' },
};

// ---- dataset ----

const generated: Spec = {
  k: 'custom',
  expected: '`generated("task", ...)`',
  decode(v, cx, where) {
    if (v.t !== 'call') return undefined;
    const [first, ...rest] = v.args;
    if (!first) {
      cx.diagnostics.push(diag('E0211', v.span, '`generated` needs the name of a task', { label: 'no task named', help: `write e.g. \`generated("${Object.keys(TASKS)[0]}")\`` }));
      return undefined;
    }
    const task = first.value;
    const names = Object.keys(TASKS);
    if (first.name || task.t !== 'str' || !own(TASKS, task.value)) {
      const shown = task.t === 'str' ? `\`"${task.value}"\`` : describeValue(task);
      cx.diagnostics.push(diag('E0306', task.span, `${shown} is not a built-in task`, { label: `expected one of: ${names.map((n) => `"${n}"`).join(', ')}`, help: `the first argument of \`generated\` names the task, e.g. \`generated("arithmetic")\`` }));
      return undefined;
    }
    const info = TASKS[task.value]!;
    const call = { ...v, args: rest };
    const out = decodeCall(call, `generated("${task.value}")`, { doc: info.doc, params: info.params }, cx, where);
    if (!out || typeof out !== 'object' || Array.isArray(out)) return undefined;
    const { fn: _fn, ...params } = out as Record<string, Json>;
    return { fn: 'generated', task: task.value, params };
  },
};

const FILE_PATH = { path: { spec: str, required: true, doc: 'file path, relative to the pipeline file' } };
export const DATASET_SOURCE_FNS: Record<string, FnSpec> = {
  jsonl: { doc: 'a JSON Lines file, one object per line', params: FILE_PATH },
  parquet: { doc: 'a Parquet file', params: FILE_PATH },
  generated: { doc: 'a built-in task generated from the seed: `generated("arithmetic", operands = 2..4)`', params: {} },
};

export const DATASET_KEYS: KeyTable = {
  source: {
    spec: {
      k: 'custom',
      expected: '`jsonl("file")`, `parquet("file")` or `generated("task", ...)`',
      decode: (v, cx, where) => (v.t === 'call' && v.fn.name === 'generated' ? generated.decode(v, cx, where) : decode(v, { k: 'call', fns: DATASET_SOURCE_FNS }, cx, where)),
    },
    required: true,
    doc: '`jsonl("file")`, `parquet("file")` or `generated("task", ...)`',
  },
  prompt: { spec: { k: 'template' }, required: true, doc: 'the prompt, with `{field}` placeholders filled from each row' },
  answer: { spec: { k: 'template' }, doc: 'the reference final answer rewards compare against' },
  response: { spec: { k: 'template' }, doc: 'a reference response, the target of an `sft` stage' },
  fields: { spec: { k: 'list', of: str, min: 1 }, doc: 'the fields each row must have (checked against the templates)' },
  holdout: { spec: int(0, 'rows'), default: 0, doc: 'rows kept out of training as the `eval` split (generated tasks have their own eval split)' },
  limit: { spec: { k: 'oneOf', options: [int(1, 'rows'), off] }, default: 'off', doc: 'use at most this many rows' },
  shuffle: { spec: bool, default: true, doc: 'shuffle training rows (a stable order from the seed, kept across resume)' },
  on_bad_row: { spec: enumOf('error', 'skip'), default: 'error', doc: '`error` stops at a malformed row naming file and line; `skip` counts and skips it' },
  on_long_prompt: { spec: enumOf('error', 'skip', 'truncate'), default: 'error', doc: "a prompt that leaves the model no room to answer: `error` stops before training naming file and line; `skip` drops the row; `truncate` keeps the prompt's start that fits" },
};
export const DATASET_SPLITS = ['train', 'eval', 'all'];

// ---- reward ----

export const REWARD_KINDS = ['exact_answer', 'numeric_equal', 'math_equal', 'regex', 'length_penalty', 'overlong', 'custom'] as const;

export const REWARD_COMMON: KeyTable = {
  kind: { spec: enumOf(...REWARD_KINDS), required: true, doc: 'what the reward measures' },
  weight: { spec: float(), default: 1, doc: 'weight in the sum of all rewards of a stage' },
  truncated: { spec: enumOf('zero', 'score'), default: 'zero', doc: 'responses cut off by the budget score 0 (`zero`, as in the paper) or are scored as they are (`score`)' },
  on_error: { spec: enumOf('zero', 'fail'), default: 'zero', doc: 'a reward that throws scores 0 and is reported (`zero`), or ends the run (`fail`)' },
  max_failure_rate: { spec: float(0, 1), default: 0.5, doc: 'with `on_error = zero`: the run stops, naming the first failure, when more than this share of the reward\'s last 64 calls (judged on at least 8) fail' },
};
const ANSWER_PATTERN = 'Answer:\\s*(.+)';
export const REWARD_VARIANTS: Record<string, KeyTable> = {
  exact_answer: { pattern: { spec: { k: 'regex' }, default: ANSWER_PATTERN, doc: 'extracts the final answer (first capture group) from the response' } },
  numeric_equal: {
    pattern: { spec: { k: 'regex' }, default: ANSWER_PATTERN, doc: 'extracts the final answer (first capture group)' },
    tolerance: { spec: float(0), default: 1e-6, doc: 'absolute tolerance for equality' },
  },
  math_equal: { tolerance: { spec: float(0), default: 0, doc: 'relative tolerance for numbers, opt-in: 0 compares them exactly (docs/grader.md)' } },
  regex: { pattern: { spec: { k: 'regex' }, required: true, doc: 'scores 1 when the response matches, else 0' } },
  length_penalty: {
    // A penalty must reach truncated responses too, or running past the budget would pay.
    truncated: { spec: enumOf('zero', 'score'), default: 'score', doc: 'truncated responses are penalised like the others (`score`, the default for penalties) or score 0 (`zero`)' },
    // Not the budget: no response is longer than its budget, so a penalty above it never acts.
    target: { spec: int(0, 'tokens'), default: 0, doc: 'length above which each token costs `coef` (0: every token)' },
    coef: { spec: float(0), default: 0.001, doc: 'penalty per token above the target' },
  },
  overlong: {
    truncated: { spec: enumOf('zero', 'score'), default: 'score', doc: 'truncated responses get the full penalty (`score`, the default for penalties) or 0 (`zero`)' },
    buffer: { spec: tokens, required: true, doc: 'DAPO soft overlong punishment: the last `buffer` tokens below the budget are penalised linearly' },
    penalty: { spec: float(0), default: 1, doc: 'penalty at the budget itself' },
  },
  custom: {
    module: { spec: str, required: true, doc: 'a .js/.mjs/.ts module exporting the reward function (docs/rewards.md), relative to the pipeline file; loaded by `run` only, never by the compiler' },
    export: { spec: str, default: 'default', doc: 'the export to call' },
    timeout_s: { spec: float(0, undefined, true), default: 10, doc: 'seconds one call may take; a call past it fails and the module\'s worker is restarted' },
    python_module: { spec: str, doc: 'the same reward as a Python file with `compute(input)`, for `compile --target verl` (docs/scale-out.md), relative to the pipeline file; `run` ignores it' },
  },
};

// ---- schedule ----

export const CURVE_FNS: Record<string, FnSpec> = {
  constant: { doc: 'the same budget for the whole phase', params: { value: { spec: tokens, required: true, doc: 'the budget' } } },
  linear: { doc: 'a straight line from the first to the last step', params: { between: { spec: { k: 'transition', of: tokens }, required: true, doc: '`from -> to`' } } },
  cosine: { doc: 'half a cosine from the first to the last step: flat at both ends', params: { between: { spec: { k: 'transition', of: tokens }, required: true, doc: '`from -> to`' } } },
};
export const CURVE_SPEC: Spec = { k: 'oneOf', options: [tokens, { k: 'call', fns: CURVE_FNS }] };

export const PHASE_KEYS: KeyTable = {
  steps: { spec: { k: 'int', min: 1, max: 1_000_000, unit: 'steps' }, required: true, doc: 'length of the phase in RL steps' },
  max_tokens: { spec: CURVE_SPEC, required: true, doc: 'the rollout budget over the phase: a number, `constant(n)`, `linear(a -> b)` or `cosine(a -> b)`' },
  role: { spec: enumOf('compress', 'expand', 'hold'), doc: 'compression or expansion; by default from the curve (falling: compress, rising: expand, flat: hold)' },
};
export const REPEAT_MAX = 1000;
/** The most steps a stage may have: the graph holds the budget of every step. */
export const MAX_STAGE_STEPS = 1_000_000;

// ---- train ----

const KL: Spec = {
  k: 'oneOf',
  options: [
    off,
    float(0, undefined, true),
    { k: 'record', keys: { coef: { spec: float(0, undefined, true), required: true, doc: 'KL coefficient β' }, estimator: { spec: enumOf('k1', 'k2', 'k3'), default: 'k3', doc: 'KL estimator (k3 = "low_var_kl")' } } },
  ],
};

export const TRAIN_COMMON: KeyTable = {
  algorithm: { spec: enumOf('grpo', 'sft'), required: true, doc: '`grpo` (with DAPO\'s options) or `sft` (cross-entropy warm-up)' },
  policy: { spec: ref('model'), required: true, doc: 'the model this stage trains' },
  data: { spec: ref('dataset', DATASET_SPLITS), required: true, doc: 'training data (`ds` is its `train` split; `ds.all` for every row)' },
  after: { spec: { k: 'list', of: ref('train'), single: true }, default: [], doc: 'stages that must finish first' },
  steps: { spec: { k: 'int', min: 1, max: 1_000_000, unit: 'steps' }, doc: 'optimizer steps (for `grpo`: taken from the schedule when omitted)' },
  batch: { spec: int(1, 'prompts'), default: 32, doc: 'prompts per step' },
  lr: { spec: float(0, undefined, true), default: 1e-6, doc: 'peak learning rate' },
  lr_schedule: { spec: enumOf('constant', 'cosine', 'linear'), default: 'constant', doc: 'decay after warm-up' },
  warmup: { spec: int(0, 'steps'), default: 0, doc: 'linear learning-rate warm-up' },
  min_lr: { spec: float(0, 1), default: 0, doc: 'floor of the decay, as a fraction of `lr`' },
  weight_decay: { spec: float(0), default: 0.01, doc: 'AdamW weight decay' },
  betas: {
    spec: { k: 'record', keys: { beta1: { spec: float(0, 1), default: 0.9, doc: 'first moment' }, beta2: { spec: float(0, 1), default: 0.999, doc: 'second moment' }, eps: { spec: float(0, undefined, true), default: 1e-8, doc: 'denominator epsilon' } } },
    default: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    doc: 'AdamW moments',
  },
  grad_clip: { spec: { k: 'oneOf', options: [off, float(0, undefined, true)] }, default: 1, doc: 'clip the global gradient norm (`off` to disable)' },
  // verl skips a non-finite update without a limit; siric stops after this many in a row.
  stop_after_nonfinite: { spec: int(1), default: 3, doc: 'updates with a NaN or infinite gradient are skipped; this many in a row stop the run' },
  checkpoint: {
    spec: {
      k: 'record',
      keys: {
        every: { spec: { k: 'oneOf', options: [off, int(1, 'steps')] }, default: 'off', doc: 'save every N steps' },
        at_phase_end: { spec: bool, default: true, doc: 'save at the end of every schedule phase (`compress-2-end` is SIRI-low, `expand-2-end` SIRI-high)' },
        at_end: { spec: bool, default: true, doc: 'save when the stage ends' },
        keep: { spec: { k: 'oneOf', options: [enumOf('all'), int(1)] }, default: 'all', doc: 'how many periodic checkpoints to keep (phase-end and final ones are always kept)' },
      },
    },
    default: { at_end: true, at_phase_end: true, every: 'off', keep: 'all' },
    doc: 'when to save weights, optimizer and RNG state',
  },
};

export const TRAIN_VARIANTS: Record<string, KeyTable> = {
  grpo: {
    rewards: { spec: { k: 'list', of: ref('reward'), single: true, min: 1 }, required: true, doc: 'rewards summed (by weight) into each response\'s score' },
    max_tokens: { spec: { k: 'oneOf', options: [ref('schedule'), tokens] }, required: true, doc: 'the rollout budget: a schedule, or a fixed number of tokens' },
    group: { spec: int(2, 'responses'), default: 8, doc: 'responses sampled per prompt (G)' },
    mini_batch: { spec: { k: 'oneOf', options: [int(1, 'prompts'), enumOf('batch')] }, default: 'batch', doc: 'prompts per optimizer update; `batch` must be a multiple of it' },
    epochs: { spec: int(1), default: 1, doc: 'passes over each step\'s rollouts (PPO epochs)' },
    clip: {
      spec: { k: 'record', keys: { low: { spec: float(0, 1), default: 0.2, doc: 'ε_low: ratios below 1 − low are clipped' }, high: { spec: float(0), default: 0.28, doc: 'ε_high: ratios above 1 + high are clipped (DAPO clip-higher)' } } },
      default: { high: 0.28, low: 0.2 },
      doc: 'decoupled PPO clip range',
    },
    loss_agg: { spec: enumOf('token_mean', 'seq_mean_token_mean', 'seq_mean_token_sum_norm'), default: 'token_mean', doc: 'how per-token losses are averaged (DAPO: token_mean)' },
    kl: { spec: KL, default: 'off', doc: 'KL penalty to a frozen reference: `off` (SIRI, DAPO), a coefficient, or `{ coef, estimator }`' },
    std_scale: { spec: bool, default: true, doc: 'divide advantages by the group\'s std (Dr. GRPO: false)' },
    entropy: { spec: float(0), default: 0, doc: 'entropy bonus coefficient' },
    // verl: algorithm.filter_groups.{enable, metric, max_num_gen_batches = max_rounds + 1}.
    dynamic_sampling: {
      spec: {
        k: 'oneOf',
        options: [
          enumOf('off', 'on'),
          {
            k: 'record',
            keys: {
              max_rounds: { spec: int(0), default: 3, doc: 'extra generation rounds (of `batch` prompts each) to refill the batch' },
              metric: { spec: enumOf('acc', 'reward'), default: 'acc', doc: 'drop groups whose `acc` (answer right or wrong, as DAPO and verl) or total `reward` is the same for every response' },
            },
          },
        ],
      },
      default: 'off',
      doc: 'DAPO: drop groups with nothing to learn and sample more prompts (`on` = `{ max_rounds = 3, metric = acc }`)',
    },
    overlong: {
      spec: { k: 'oneOf', options: [enumOf('off', 'filter')] },
      default: 'off',
      doc: '`filter`: mask truncated responses out of the loss (DAPO overlong filtering); for the soft penalty use an `overlong` reward',
    },
    // verl: actor.clip_ratio_c (3.0).
    dual_clip: { spec: { k: 'oneOf', options: [off, float(1, undefined, true)] }, default: 3, doc: 'dual-clip bound c > 1: a negative advantage\'s per-token loss is at most −A·c (`off` to disable)' },
    temperature: { spec: float(0, undefined, true), default: 1, doc: 'sampling temperature for rollouts' },
    top_p: { spec: float(0, 1, true), default: 1, doc: 'nucleus sampling' },
    top_k: { spec: int(0), default: 0, doc: 'top-k sampling (0: off)' },
  },
  sft: {
    epochs: { spec: int(1), default: 1, doc: 'passes over the data (stops at `steps` if that comes first)' },
    max_tokens: { spec: tokens, default: 256, doc: 'longest response used for training (longer ones are cut)' },
  },
};

// ---- eval ----

export const EVAL_KEYS: KeyTable = {
  data: { spec: ref('dataset', DATASET_SPLITS), required: true, doc: 'the data to evaluate on (`ds` is its `eval` split when it has one)' },
  stages: { spec: { k: 'list', of: ref('train'), single: true }, doc: 'stages to evaluate during (default: all)' },
  every: { spec: { k: 'oneOf', options: [off, int(1, 'steps')] }, default: 'off', doc: 'evaluate every N steps of a stage' },
  at_phase_end: { spec: bool, default: true, doc: 'evaluate at the end of every schedule phase' },
  at_end: { spec: bool, default: true, doc: 'evaluate when a stage ends' },
  at_start: { spec: bool, default: false, doc: 'evaluate before the first stage' },
  mode: { spec: enumOf('greedy', 'sample'), default: 'greedy', doc: '`greedy` (pass@1) or `sample` (mean over `samples`)' },
  samples: { spec: int(1, 'responses'), default: 1, doc: 'responses per problem when sampling (mean@k)' },
  temperature: { spec: float(0, undefined, true), default: 0.6, doc: 'sampling temperature when `mode = sample`' },
  top_p: { spec: float(0, 1, true), default: 0.95, doc: 'nucleus sampling when `mode = sample`' },
  max_tokens: { spec: { k: 'oneOf', options: [tokens, enumOf('max_budget')] }, default: 'max_budget', doc: 'response budget (`max_budget`: the largest budget of the stages evaluated)' },
  limit: { spec: { k: 'oneOf', options: [int(1, 'rows'), off] }, default: 'off', doc: 'evaluate on at most this many problems' },
  judge: { spec: ref('reward'), doc: 'the reward that decides which answers are correct (default: the pipeline\'s answer reward, docs/rewards.md)' },
};

/** The declaration kinds, for "unknown declaration kind" suggestions and the docs. */
export const DECL_KINDS = ['pipeline', 'model', 'dataset', 'reward', 'schedule', 'train', 'eval'] as const;
export const NESTED_BLOCKS = ['phase', 'repeat'] as const;
