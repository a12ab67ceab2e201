// The verl (v0.9.0) configuration keys this target emits, with the type verl's dataclass gives
// each one. This is our own table: a test checks it against verl's flattened key list
// (../shared/reference/verl/v0.9.0/keys.txt), so a key verl renames or kills is caught there.

export type VerlType = 'int' | 'float' | 'bool' | 'str' | 'list' | 'dict';

export interface VerlKey {
  path: string;
  type: VerlType;
  /** Absent from verl's YAML but read by verl: Hydra needs `+path=value`. */
  plus?: true;
}

/** The pinned verl release the table was read from. */
export const VERL_PIN = { version: '0.9.0', commit: '483b8a009ba3a97563edee3a19887e4862b8094a' } as const;

const A = 'actor_rollout_ref.actor';
const R = 'actor_rollout_ref.rollout';
const k = (path: string, type: VerlType): VerlKey => ({ path, type });

export const VERL_KEYS: readonly VerlKey[] = [
  k('algorithm.adv_estimator', 'str'),
  k('algorithm.norm_adv_by_std_in_grpo', 'bool'),
  k('algorithm.use_kl_in_reward', 'bool'),
  k('algorithm.filter_groups.enable', 'bool'),
  k('algorithm.filter_groups.metric', 'str'),
  k(`${A}.use_kl_loss`, 'bool'),
  k(`${A}.kl_loss_coef`, 'float'),
  k(`${A}.kl_loss_type`, 'str'),
  k(`${A}.clip_ratio_low`, 'float'),
  k(`${A}.clip_ratio_high`, 'float'),
  k(`${A}.clip_ratio_c`, 'float'),
  k(`${A}.loss_agg_mode`, 'str'),
  k(`${A}.loss_scale_factor`, 'int'),
  k(`${A}.entropy_coeff`, 'float'),
  k(`${A}.ppo_epochs`, 'int'),
  k(`${A}.ppo_mini_batch_size`, 'int'),
  k(`${A}.use_dynamic_bsz`, 'bool'),
  k(`${A}.ppo_max_token_len_per_gpu`, 'int'),
  k(`${A}.data_loader_seed`, 'int'),
  k(`${A}.fsdp_config.seed`, 'int'),
  k(`${A}.fsdp_config.dtype`, 'str'),
  k(`${A}.optim.lr`, 'float'),
  k(`${A}.optim.lr_warmup_steps`, 'int'),
  k(`${A}.optim.lr_scheduler_type`, 'str'),
  k(`${A}.optim.min_lr_ratio`, 'float'),
  k(`${A}.optim.num_cycles`, 'float'),
  k(`${A}.optim.weight_decay`, 'float'),
  k(`${A}.optim.betas`, 'list'),
  k(`${A}.optim.clip_grad`, 'float'),
  k(`${A}.optim.override_optimizer_config`, 'dict'),
  k('actor_rollout_ref.model.path', 'str'),
  k('actor_rollout_ref.model.tokenizer_path', 'str'),
  k('actor_rollout_ref.model.use_remove_padding', 'bool'),
  k(`${R}.name`, 'str'),
  k(`${R}.n`, 'int'),
  k(`${R}.temperature`, 'float'),
  k(`${R}.top_p`, 'float'),
  k(`${R}.top_k`, 'int'),
  k(`${R}.seed`, 'int'),
  k(`${R}.dtype`, 'str'),
  k(`${R}.tensor_model_parallel_size`, 'int'),
  k(`${R}.gpu_memory_utilization`, 'float'),
  k(`${R}.val_kwargs.n`, 'int'),
  k(`${R}.val_kwargs.do_sample`, 'bool'),
  k(`${R}.val_kwargs.temperature`, 'float'),
  k(`${R}.val_kwargs.top_p`, 'float'),
  k(`${R}.agent.agent_loop_config_path`, 'str'),
  k('data.train_files', 'str'),
  k('data.val_files', 'str'),
  k('data.prompt_key', 'str'),
  k('data.max_prompt_length', 'int'),
  k('data.max_response_length', 'int'),
  k('data.train_batch_size', 'int'),
  k('data.shuffle', 'bool'),
  k('data.seed', 'int'),
  k('data.truncation', 'str'),
  k('data.filter_overlong_prompts', 'bool'),
  k('reward.reward_manager.name', 'str'),
  k('reward.custom_reward_function.path', 'str'),
  k('reward.custom_reward_function.name', 'str'),
  k('trainer.use_v1', 'bool'),
  k('trainer.v1.trainer_mode', 'str'),
  k('trainer.total_training_steps', 'int'),
  k('trainer.total_epochs', 'int'),
  k('trainer.save_freq', 'int'),
  k('trainer.test_freq', 'int'),
  k('trainer.val_before_train', 'bool'),
  k('trainer.project_name', 'str'),
  k('trainer.experiment_name', 'str'),
  k('trainer.default_local_dir', 'str'),
  k('trainer.resume_mode', 'str'),
  k('trainer.nnodes', 'int'),
  k('trainer.n_gpus_per_node', 'int'),
  k('trainer.logger', 'list'),
];

export const VERL_KEY = new Map(VERL_KEYS.map((x) => [x.path, x]));
