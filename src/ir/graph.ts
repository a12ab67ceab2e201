// The execution graph: the contract between the compiler and the runtime. One definition gives
// both the JSON Schema (src/ir/schema.json, checked by ajv) and the TypeScript types.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const IR_VERSION = 1;

const Int = (o: { minimum?: number } = {}) => Type.Integer(o);
const Num = (o: { minimum?: number; exclusiveMinimum?: number; maximum?: number } = {}) => Type.Number(o);
const Str = () => Type.String();
const Id = () => Type.String({ pattern: '^(pipeline|model|dataset|reward|schedule|train|eval)\\.[A-Za-z0-9_./]+$' });
const Obj = <T extends Record<string, TSchema>>(props: T, description?: string) => Type.Object(props, description ? { additionalProperties: false, description } : { additionalProperties: false });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Enum = <T extends string>(...xs: T[]) => Type.Union(xs.map((x) => Type.Literal(x)));

export const Template = Obj({ text: Str(), fields: Type.Array(Str()) }, 'a string with {field} placeholders filled from each row');

export const Curve = Obj({ kind: Enum('constant', 'linear', 'cosine'), from: Int({ minimum: 1 }), to: Int({ minimum: 1 }) });

export const Phase = Obj(
  {
    index: Int({ minimum: 0 }),
    name: Str(),
    cycle: Int({ minimum: 1 }),
    role: Enum('compress', 'expand', 'hold'),
    /** First step of the phase, 0-based, counted within its stage. */
    start: Int({ minimum: 0 }),
    /** One past the last step. */
    end: Int({ minimum: 1 }),
    steps: Int({ minimum: 1 }),
    curve: Curve,
  },
  'a phase of the rollout budget; steps are counted within the stage',
);

export const ModelNode = Obj({
  id: Id(),
  type: Type.Literal('model'),
  name: Str(),
  source: Type.Union([
    Obj({
      kind: Type.Literal('scratch'),
      layers: Int({ minimum: 1 }),
      d_model: Int({ minimum: 8 }),
      heads: Int({ minimum: 1 }),
      kv_heads: Int({ minimum: 1 }),
      ffn: Int({ minimum: 1 }),
      context: Int({ minimum: 1 }),
      tie_embeddings: Type.Boolean(),
      rope_theta: Num({ exclusiveMinimum: 0 }),
      norm_eps: Num({ exclusiveMinimum: 0 }),
    }),
    Obj({ kind: Type.Literal('hf'), path: Str() }),
  ]),
  tokenizer: Type.Union([Obj({ kind: Type.Literal('chars') }), Obj({ kind: Type.Literal('hf'), path: Str() })]),
  /** `auto`: the tokenizer's chat template when it has one (decided at run time, from its files). */
  chat_template: Enum('auto', 'none'),
  dtype: Enum('float32', 'bfloat16', 'float16'),
});

const JsonValue = Type.Unknown();

export const DatasetNode = Obj({
  id: Id(),
  type: Type.Literal('dataset'),
  name: Str(),
  source: Type.Union([
    Obj({ kind: Enum('jsonl', 'parquet'), path: Str() }),
    Obj({ kind: Type.Literal('generated'), task: Str(), params: Type.Record(Str(), JsonValue) }),
  ]),
  prompt: Template,
  answer: Nullable(Template),
  response: Nullable(Template),
  fields: Nullable(Type.Array(Str())),
  holdout: Int({ minimum: 0 }),
  limit: Nullable(Int({ minimum: 1 })),
  shuffle: Type.Boolean(),
  on_bad_row: Enum('error', 'skip'),
  on_long_prompt: Enum('error', 'skip', 'truncate'),
});

export const RewardNode = Obj({
  id: Id(),
  type: Type.Literal('reward'),
  name: Str(),
  kind: Enum('exact_answer', 'numeric_equal', 'math_equal', 'regex', 'length_penalty', 'overlong', 'custom'),
  weight: Num(),
  truncated: Enum('zero', 'score'),
  on_error: Enum('zero', 'fail'),
  /** The kind's own settings (pattern, tolerance, buffer, module, ...). */
  params: Type.Record(Str(), JsonValue),
});

export const ScheduleNode = Obj({
  id: Id(),
  type: Type.Literal('schedule'),
  name: Str(),
  total_steps: Int({ minimum: 1 }),
  phases: Type.Array(Phase),
});

const DataRef = Obj({ dataset: Id(), split: Enum('train', 'eval', 'all') });

export const Checkpoint = Obj({
  /** Stage-local step after which it is written (1-based count of completed steps). */
  step: Int({ minimum: 0 }),
  name: Str(),
  reason: Enum('every', 'phase_end', 'stage_end'),
  /** SIRI-low / SIRI-high: the end of a compression / expansion phase. */
  siri: Nullable(Enum('low', 'high')),
});

export const Budget = Obj(
  {
    schedule: Nullable(Id()),
    max: Int({ minimum: 1 }),
    phases: Type.Array(Phase),
    /** The rollout budget (max new tokens) at each stage step: by_step[t]. */
    by_step: Type.Array(Int({ minimum: 1 })),
    /** The index into `phases` at each stage step. */
    phase_by_step: Type.Array(Int({ minimum: 0 })),
  },
  'the rollout budget at every step of a stage, read directly by the runtime',
);

export const TrainNode = Obj({
  id: Id(),
  type: Type.Literal('train'),
  name: Str(),
  algorithm: Enum('grpo', 'sft'),
  /** Position in execution order, and the global step at which the stage starts. */
  order: Int({ minimum: 0 }),
  start_step: Int({ minimum: 0 }),
  steps: Int({ minimum: 1 }),
  policy: Id(),
  data: DataRef,
  after: Type.Array(Id()),
  rewards: Type.Array(Id()),
  budget: Budget,
  batch: Int({ minimum: 1 }),
  mini_batch: Int({ minimum: 1 }),
  group: Int({ minimum: 1 }),
  epochs: Int({ minimum: 1 }),
  optimizer: Obj({
    kind: Type.Literal('adamw'),
    lr: Num({ exclusiveMinimum: 0 }),
    lr_schedule: Enum('constant', 'cosine', 'linear'),
    warmup: Int({ minimum: 0 }),
    min_lr: Num({ minimum: 0 }),
    weight_decay: Num({ minimum: 0 }),
    beta1: Num({ minimum: 0, maximum: 1 }),
    beta2: Num({ minimum: 0, maximum: 1 }),
    eps: Num({ exclusiveMinimum: 0 }),
    grad_clip: Nullable(Num({ exclusiveMinimum: 0 })),
  }),
  loss: Obj({
    clip_low: Num({ minimum: 0 }),
    clip_high: Num({ minimum: 0 }),
    agg: Enum('token_mean', 'seq_mean_token_mean', 'seq_mean_token_sum_norm'),
    kl_coef: Num({ minimum: 0 }),
    kl_estimator: Enum('k1', 'k2', 'k3'),
    std_scale: Type.Boolean(),
    entropy_coef: Num({ minimum: 0 }),
    overlong_filter: Type.Boolean(),
    /** Dual-clip bound (verl actor.clip_ratio_c); null: off. */
    clip_ratio_c: Nullable(Num({ exclusiveMinimum: 1 })),
  }),
  /** verl algorithm.filter_groups: metric `acc` or `reward` (verl `score`); max_num_gen_batches = max_rounds + 1. */
  dynamic_sampling: Obj({ enabled: Type.Boolean(), max_rounds: Int({ minimum: 0 }), metric: Enum('acc', 'reward') }),
  /** Non-finite updates are skipped; this many in a row stop the run. */
  stop_after_nonfinite: Int({ minimum: 1 }),
  sampling: Obj({ temperature: Num({ exclusiveMinimum: 0 }), top_p: Num({ exclusiveMinimum: 0, maximum: 1 }), top_k: Int({ minimum: 0 }) }),
  checkpoints: Type.Array(Checkpoint),
  keep_periodic: Nullable(Int({ minimum: 1 })),
});

export const EvalNode = Obj({
  id: Id(),
  type: Type.Literal('eval'),
  name: Str(),
  data: DataRef,
  stages: Type.Array(Id()),
  mode: Enum('greedy', 'sample'),
  samples: Int({ minimum: 1 }),
  temperature: Num({ exclusiveMinimum: 0 }),
  top_p: Num({ exclusiveMinimum: 0, maximum: 1 }),
  max_tokens: Int({ minimum: 1 }),
  limit: Nullable(Int({ minimum: 1 })),
  /** Every point where it runs: global step (after that many steps), the stage, and why. */
  points: Type.Array(Obj({ step: Int({ minimum: 0 }), stage: Nullable(Id()), reason: Enum('start', 'every', 'phase_end', 'stage_end') })),
  /** The reward that decides `correct` (null: the built-in tasks' `Answer:` checker). */
  judge: Nullable(Id()),
});

export const Node = Type.Union([ModelNode, DatasetNode, RewardNode, ScheduleNode, TrainNode, EvalNode]);

export const Edge = Obj({ from: Id(), to: Id(), kind: Enum('policy', 'data', 'reward', 'schedule', 'after', 'eval') });

export const IRSchema = Type.Object(
  {
    siri_ir: Type.Literal(IR_VERSION),
    compiler: Str(),
    source_hash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }),
    sources: Type.Array(Obj({ path: Str(), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) })),
    overrides: Type.Array(Obj({ path: Str(), value: Str() })),
    pipeline: Obj({
      id: Id(),
      name: Str(),
      file: Str(),
      seed: Int({ minimum: 0 }),
      backend: Enum('auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'),
      out: Str(),
      description: Str(),
    }),
    nodes: Type.Array(Node),
    edges: Type.Array(Edge),
    total_steps: Int({ minimum: 0 }),
  },
  { additionalProperties: false, $id: 'urn:siric:ir:v1', title: 'siric execution graph', description: 'The compiled form of a .siri pipeline, read by `siric run`.' },
);

export type IR = Static<typeof IRSchema>;
export type IRNode = Static<typeof Node>;
export type IRModel = Static<typeof ModelNode>;
export type IRDataset = Static<typeof DatasetNode>;
export type IRReward = Static<typeof RewardNode>;
export type IRSchedule = Static<typeof ScheduleNode>;
export type IRTrain = Static<typeof TrainNode>;
export type IREval = Static<typeof EvalNode>;
export type IRPhase = Static<typeof Phase>;
export type IRCurve = Static<typeof Curve>;
export type IRCheckpoint = Static<typeof Checkpoint>;
export type IRBudget = Static<typeof Budget>;
