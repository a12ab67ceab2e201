// Interfaces shared by the runtime's parts (data, rewards, tokenizer, model I/O, RL math, the
// executor). The runtime reads only the execution graph (src/ir/graph.ts), never .siri source.
import type { RuntimeCode } from './codes.js';

// ---------- data ----------

/** One example, with the dataset's templates already filled in from its row. */
export interface Example {
  prompt: string;
  /** Reference final answer (for rewards), when the dataset has an `answer` template. */
  answer?: string;
  /** Reference response (for SFT), when the dataset has a `response` template. */
  response?: string;
  /** Where it came from, for messages: `data/x.jsonl:12` or `arithmetic#345`. */
  origin: string;
}

export interface LoadedDataset {
  name: string;
  train: Example[];
  eval: Example[];
  /** Every character that occurs in prompts, answers and responses (for a char tokenizer). */
  alphabet: string;
  /** Rows skipped because `on_bad_row = skip`. */
  skipped: number;
}

/**
 * A user-facing failure that names its place (file and line): printed without a stack trace, as
 * `error[CODE]: message` (codes: runtime/codes.ts).
 */
export class RunError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly code: RuntimeCode = 'R0901',
  ) {
    super(message);
    this.name = 'RunError';
  }
}

/** How a RunError is printed by every command. */
export function formatRunError(e: RunError): string {
  return `error[${e.code}]: ${e.message}\n${e.hint ? `  = help: ${e.hint}\n` : ''}`;
}

// ---------- rewards ----------

export interface RewardInput {
  prompt: string;
  response: string;
  answer?: string;
  /** The response hit the step's budget without ending. */
  truncated: boolean;
  /** Response length in tokens. */
  length: number;
  /** The step's max_tokens. */
  budget: number;
}

export interface RewardError {
  reward: string;
  index: number;
  message: string;
  /** Where in the user's module it failed (file:line:col), when the error's stack says. */
  at?: string;
}

export interface ScoredBatch {
  /** Weighted sum per response, after the truncation treatment. */
  total: number[];
  /** Each reward's weighted score per response, by reward name. */
  parts: Record<string, number[]>;
  /** Whether the final answer is right (from the first answer-checking reward; false if none). */
  correct: boolean[];
  errors: RewardError[];
  /** Whether the judge found a final answer in each response (absent: not known). */
  found?: boolean[];
}

export interface RewardSet {
  score(inputs: RewardInput[]): Promise<ScoredBatch>;
  /** The name of the reward that decides `correct` (null: none of them judges answers). */
  judge?: string | null;
  /** Ends the workers of user reward modules. */
  close?(): Promise<void>;
}

// ---------- tokenizer ----------

export interface Tokenizer {
  readonly vocabSize: number;
  /** Prepended to a raw prompt; null when the model has none (Qwen2's tokenizers). */
  readonly bos: number | null;
  readonly eos: number;
  readonly pad: number;
  /** The text itself, no special tokens added (special-token text in it maps to its id). */
  encode(text: string): number[];
  /** Special tokens are dropped. */
  decode(ids: readonly number[]): string;
  /** How prompts are wrapped for the model (a Hugging Face chat template), or null: BOS + text. */
  readonly chatTemplate: PromptTemplate | null;
  /** The files that rebuild it, by name, as text: written next to checkpoints. */
  files(): Record<string, string>;
}

/** Turns a prompt into the text the model is given (its special tokens spelled out). */
export interface PromptTemplate {
  render(prompt: string): string;
}

// ---------- model ----------

/** Sizes of a decoder-only transformer, named as in Hugging Face's config.json (Llama/Qwen2). */
export interface ModelConfig {
  architectures: string[];
  model_type: 'llama' | 'qwen2';
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  max_position_embeddings: number;
  rope_theta: number;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  /** Qwen2 has biases on q/k/v projections. */
  attention_bias: boolean;
  bos_token_id: number;
  eos_token_id: number;
  pad_token_id: number;
  torch_dtype: 'float32' | 'bfloat16' | 'float16';
}

/** A tensor as stored on disk, always handed over as float32. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

// ---------- events (what a reporter or the ink view consumes) ----------

/** One row of metrics.jsonl per step. RL-only fields are null in an SFT stage. */
export interface StepMetrics {
  type: 'train';
  stage: string;
  algorithm: 'grpo' | 'sft';
  /** Steps done in this stage (1-based) and in the whole run. */
  step: number;
  global_step: number;
  phase: string;
  cycle: number;
  role: string;
  max_tokens: number;
  reward_mean: number | null;
  reward_std: number | null;
  accuracy: number | null;
  response_len_mean: number;
  response_len_max: number;
  truncated_frac: number;
  /** null when the step made no update (see no_update). */
  loss: number | null;
  clip_frac: number | null;
  entropy: number | null;
  kl: number | null;
  grad_norm: number | null;
  lr: number;
  tokens_per_s: number;
  time_s: number;
  groups_kept: number | null;
  reward_errors: number;
  /** GRPO: sampling rounds run (dynamic sampling refills), and groups the batch still lacked after them. */
  sampling_rounds?: number;
  groups_short?: number;
  /** Updates skipped because their gradient was NaN or infinite. */
  updates_skipped?: number;
  /** Why the step made no update, e.g. "all groups had equal accuracy"; absent when it made one. */
  no_update?: string;
}

export interface EvalMetrics {
  type: 'eval';
  eval: string;
  stage: string | null;
  step: number;
  reason: string;
  accuracy: number;
  response_len_mean: number;
  truncated_frac: number;
  n: number;
  samples: number;
  /** The reward that judged correctness (`final_answer (built-in)` when the pipeline declares none). */
  judge?: string;
  /** Responses in which the judge found a final answer at all (0 is warned about). */
  answers_found?: number;
}

/** How a stage's updates (SFT steps, GRPO updates) ran on webgpu: replayed as step graphs, or through tfjs (and why). */
export interface UpdateGraphStats {
  updates: number;
  replayed: number;
  /** Why the last update through tfjs was not replayed (absent when every update after the first recordings was). */
  reason?: string;
}

/** How a stage's decode steps (rollouts and evals) ran on webgpu: how many were replayed step graphs. */
export interface DecodeGraphStats {
  steps: number;
  replayed: number;
}

export type RunEvent =
  | { type: 'run_start'; pipeline: string; file: string; run_dir: string; backend: string; backend_notes: string[]; total_steps: number; resumed_from?: string }
  | { type: 'stage_start'; stage: string; algorithm: string; steps: number; start_step: number }
  | { type: 'phase_start'; stage: string; phase: string; cycle: number; role: string; step: number; from: number; to: number }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'sample'; stage: string; step: number; prompt: string; response: string; reward: number; correct: boolean; truncated: boolean }
  | { type: 'checkpoint'; name: string; path: string; step: number; global_step: number; siri: 'low' | 'high' | null }
  | { type: 'warning'; message: string }
  | { type: 'stage_end'; stage: string; update_graphs?: UpdateGraphStats; decode_graphs?: DecodeGraphStats }
  | { type: 'run_end'; status: 'done' | 'stopped' | 'failed'; summary: EvalMetrics[]; run_dir: string };
