// IR → verl overrides. Everything here is read from the compiled graph; nothing from the
// runtime's training code. What has no equivalent is refused in refuse.ts before this runs.
import type { IR, IREval, IRModel, IRTrain } from '../../ir/graph.js';
import type { Override, VerlValue } from './overrides.js';

export interface ClusterOptions {
  nodes: number;
  gpusPerNode: number;
  rollout: 'vllm' | 'sglang';
  tp: number;
  gpuMemoryUtilization: number;
}

export const DEFAULT_CLUSTER: ClusterOptions = { nodes: 1, gpusPerNode: 8, rollout: 'vllm', tp: 1, gpuMemoryUtilization: 0.6 };

/** What only the converted data tells: the longest prompt and how many training rows there are. */
export interface DataFacts {
  maxPromptTokens: number;
  trainRows: number;
}

/** The one GRPO stage a verl job runs, and the evals that run during it. */
export interface JobPlan {
  stage: IRTrain;
  model: IRModel;
  evals: IREval[];
  trainFile: string;
  valFiles: string[];
  /** Eval steps (after that many steps) and checkpoint steps, within the stage. */
  evalSteps: number[];
  evalAtStart: boolean;
  checkpointSteps: number[];
}

const gcdOf = (xs: readonly number[]): number => xs.reduce((a, b) => { let [x, y] = [a, b]; while (y) [x, y] = [y, x % y]; return x; }, 0);

export const dataFile = (dataset: string, split: string): string => `data/${dataset.replace(/^dataset\./, '').replace(/[^A-Za-z0-9_.-]/g, '_')}.${split}.jsonl`;

/** An eval's file; evals on the very rows the stage trains on get their own copy (other agent loop). */
export const evalFile = (e: IREval, trainFile: string): string => {
  const f = dataFile(e.data.dataset, e.data.split);
  return f === trainFile ? f.replace(/\.jsonl$/, '.val.jsonl') : f;
};

/** The first GRPO stage and the model, evals and files it uses (refuse.ts has refused the rest). */
export function planJob(ir: IR): JobPlan | undefined {
  const stage = ir.nodes.find((n): n is IRTrain => n.type === 'train' && n.algorithm === 'grpo');
  if (!stage) return undefined;
  const model = ir.nodes.find((n): n is IRModel => n.type === 'model' && n.id === stage.policy)!;
  const evals = ir.nodes.filter((n): n is IREval => n.type === 'eval' && n.stages.includes(stage.id));
  const points = evals.flatMap((e) => e.points.filter((p) => p.stage === stage.id || p.reason === 'start'));
  const trainFile = dataFile(stage.data.dataset, stage.data.split);
  const uniq = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
  return {
    stage,
    model,
    evals,
    trainFile,
    valFiles: [...new Set(evals.map((e) => evalFile(e, trainFile)))].sort(),
    evalSteps: uniq(points.filter((p) => p.reason !== 'start' && p.step > stage.start_step).map((p) => p.step - stage.start_step)),
    evalAtStart: points.some((p) => p.reason === 'start' || p.step === stage.start_step),
    checkpointSteps: uniq(stage.checkpoints.filter((c) => c.step > 0).map((c) => c.step)),
  };
}

/** verl's cadence for a set of steps: their gcd, and the steps it adds that were not asked for. */
export function cadence(steps: readonly number[], total: number): { freq: number; extra: number[] } {
  if (steps.length === 0) return { freq: -1, extra: [] };
  const freq = gcdOf(steps);
  const want = new Set(steps);
  const extra: number[] = [];
  for (let s = freq; s <= total; s += freq) if (!want.has(s)) extra.push(s);
  // verl also saves / validates after the last step; that one is asked for or added.
  if (!want.has(total) && total % freq !== 0) extra.push(total);
  return { freq, extra };
}

export const LOSS_AGG = { token_mean: 'token-mean', seq_mean_token_mean: 'seq-mean-token-mean', seq_mean_token_sum_norm: 'seq-mean-token-sum-norm' } as const;

/** A clip bound verl always applies (it asserts one is set): our `off` becomes this. */
export const NO_CLIP = 1e9;

export interface MapInput {
  ir: IR;
  plan: JobPlan;
  /** The model folder as an absolute path (the IR's is relative to the pipeline file). */
  modelPath: string;
  tokenizerPath: string | null;
  cluster: ClusterOptions;
  data?: DataFacts;
  /** `<name>-<8 hex of graph.json's sha256>`. */
  experiment: string;
}

export function maxResponseLength(plan: JobPlan): number {
  return Math.max(plan.stage.budget.max, ...plan.evals.map((e) => e.max_tokens));
}

/** The overrides, in a fixed order grouped as verl's config is. */
export function mapOverrides(x: MapInput): Override[] {
  const { ir, plan, cluster } = x;
  const s = plan.stage;
  const out: Override[] = [];
  const set = (key: string, value: VerlValue): void => void out.push({ key, value });
  const A = 'actor_rollout_ref.actor';
  const R = 'actor_rollout_ref.rollout';
  const seed = ir.pipeline.seed;
  const promptLen = x.data?.maxPromptTokens ?? 2048;
  const respLen = maxResponseLength(plan);

  set('algorithm.adv_estimator', 'grpo');
  set('algorithm.norm_adv_by_std_in_grpo', s.loss.std_scale);
  set('algorithm.use_kl_in_reward', false);
  set('algorithm.filter_groups.enable', s.dynamic_sampling.enabled);
  if (s.dynamic_sampling.enabled) set('algorithm.filter_groups.metric', s.dynamic_sampling.metric === 'acc' ? 'acc' : 'score');

  set(`${A}.use_kl_loss`, s.loss.kl_coef > 0);
  set(`${A}.kl_loss_coef`, s.loss.kl_coef);
  if (s.loss.kl_coef > 0) set(`${A}.kl_loss_type`, s.loss.kl_estimator);
  set(`${A}.clip_ratio_low`, s.loss.clip_low);
  set(`${A}.clip_ratio_high`, s.loss.clip_high);
  set(`${A}.clip_ratio_c`, s.loss.clip_ratio_c ?? NO_CLIP);
  set(`${A}.loss_agg_mode`, LOSS_AGG[s.loss.agg]);
  // Dr. GRPO's constant normaliser is our largest budget; verl would use the padded width.
  if (s.loss.agg === 'seq_mean_token_sum_norm') set(`${A}.loss_scale_factor`, s.budget.max);
  set(`${A}.entropy_coeff`, s.loss.entropy_coef);
  set(`${A}.ppo_epochs`, s.epochs);
  set(`${A}.ppo_mini_batch_size`, s.mini_batch);
  set(`${A}.use_dynamic_bsz`, true);
  set(`${A}.ppo_max_token_len_per_gpu`, promptLen + respLen);
  set(`${A}.data_loader_seed`, seed);
  set(`${A}.fsdp_config.seed`, seed);
  set(`${A}.fsdp_config.dtype`, x.plan.model.dtype);
  const o = s.optimizer;
  set(`${A}.optim.lr`, o.lr);
  set(`${A}.optim.lr_warmup_steps`, o.warmup);
  set(`${A}.optim.lr_scheduler_type`, o.lr_schedule === 'cosine' ? 'cosine' : 'constant');
  if (o.lr_schedule === 'cosine') {
    set(`${A}.optim.min_lr_ratio`, o.min_lr / o.lr);
    set(`${A}.optim.num_cycles`, 0.5);
  }
  set(`${A}.optim.weight_decay`, o.weight_decay);
  set(`${A}.optim.betas`, [o.beta1, o.beta2]);
  set(`${A}.optim.clip_grad`, o.grad_clip ?? NO_CLIP);
  set(`${A}.optim.override_optimizer_config`, { eps: o.eps });

  set('actor_rollout_ref.model.path', x.modelPath);
  if (x.tokenizerPath !== null && x.tokenizerPath !== x.modelPath) set('actor_rollout_ref.model.tokenizer_path', x.tokenizerPath);
  set('actor_rollout_ref.model.use_remove_padding', true);

  set(`${R}.name`, cluster.rollout);
  set(`${R}.n`, s.group);
  set(`${R}.temperature`, s.sampling.temperature);
  set(`${R}.top_p`, s.sampling.top_p);
  set(`${R}.top_k`, s.sampling.top_k === 0 ? -1 : s.sampling.top_k);
  set(`${R}.seed`, seed);
  set(`${R}.dtype`, x.plan.model.dtype);
  set(`${R}.tensor_model_parallel_size`, cluster.tp);
  set(`${R}.gpu_memory_utilization`, cluster.gpuMemoryUtilization);
  const e = plan.evals[0];
  if (e) {
    const greedy = e.mode === 'greedy';
    set(`${R}.val_kwargs.n`, greedy ? 1 : e.samples);
    set(`${R}.val_kwargs.do_sample`, !greedy);
    set(`${R}.val_kwargs.temperature`, greedy ? 0 : e.temperature);
    set(`${R}.val_kwargs.top_p`, greedy ? 1 : e.top_p);
  }
  set(`${R}.agent.agent_loop_config_path`, 'siri_agent_loops.yaml');

  set('data.train_files', plan.trainFile);
  // verl always builds a validation set: without evals it gets the training file and never runs.
  set('data.val_files', plan.valFiles.length === 1 ? plan.valFiles[0]! : plan.valFiles.length ? plan.valFiles : plan.trainFile);
  set('data.prompt_key', 'prompt');
  set('data.max_prompt_length', promptLen);
  set('data.max_response_length', respLen);
  set('data.train_batch_size', s.batch);
  set('data.shuffle', ir.nodes.some((n) => n.type === 'dataset' && n.id === s.data.dataset && n.shuffle));
  set('data.seed', seed);
  const ds = ir.nodes.find((n) => n.type === 'dataset' && n.id === s.data.dataset);
  const long = ds?.type === 'dataset' ? ds.on_long_prompt : 'error';
  set('data.truncation', long === 'truncate' ? 'right' : 'error');
  set('data.filter_overlong_prompts', long === 'skip');

  set('reward.reward_manager.name', 'naive');
  set('reward.custom_reward_function.path', 'siri_verl.py');
  set('reward.custom_reward_function.name', 'compute_score');

  set('trainer.use_v1', true);
  set('trainer.v1.trainer_mode', 'sync');
  set('trainer.total_training_steps', s.steps);
  if (x.data) {
    const perEpoch = Math.floor(x.data.trainRows / s.batch);
    if (perEpoch > 0) set('trainer.total_epochs', Math.ceil(s.steps / perEpoch));
  }
  set('trainer.save_freq', cadence(plan.checkpointSteps, s.steps).freq);
  set('trainer.test_freq', cadence(plan.evalSteps, s.steps).freq);
  set('trainer.val_before_train', plan.evalAtStart);
  set('trainer.project_name', ir.pipeline.name);
  set('trainer.experiment_name', x.experiment);
  set('trainer.default_local_dir', localDir(ir));
  set('trainer.resume_mode', 'auto');
  set('trainer.nnodes', cluster.nodes);
  set('trainer.n_gpus_per_node', cluster.gpusPerNode);
  set('trainer.logger', ['console']);
  return out;
}

/** Checkpoints go where `siric run` puts its runs, relative to the job folder (run.sh cds there). */
export const localDir = (ir: IR): string => `${ir.pipeline.out.replace(/\/+$/, '') || '.'}/${ir.pipeline.name}/verl/checkpoints`;
