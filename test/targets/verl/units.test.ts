// The pieces of the verl target: Hydra value formatting, verl's cross-checks, and
// verlDiagnostics as the language server will call it (no file written).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import { verlDiagnostics, verlTarget } from '../../../src/targets/verl/check.js';
import { formatFloat, formatValue, kindOfText } from '../../../src/targets/verl/overrides.js';
import { crossCheck } from '../../../src/targets/verl/validate.js';
import { ROOT } from './helpers.js';

describe('Hydra values', () => {
  it('writes floats YAML 1.1 reads as floats', () => {
    expect([1e-6, 1e-8, 0.28, 1, 0, 3, 1e9, 1e-4].map(formatFloat)).toEqual(['1.0e-06', '1.0e-08', '0.28', '1.0', '0.0', '3.0', '1000000000.0', '0.0001']);
    for (const x of [1e-6, 1e-8, 0.28, 1]) expect(kindOfText(formatFloat(x))).toBe('float');
  });

  it('quotes only what Hydra would misread', () => {
    expect(formatValue('data/x.train.jsonl')).toBe('data/x.train.jsonl');
    expect(formatValue('my model')).toBe("'my model'");
    expect(formatValue('true')).toBe("'true'");
    expect(formatValue([0.9, 0.999])).toBe('[0.9,0.999]');
    expect(formatValue({ eps: 1e-8 })).toBe('{eps: 1.0e-08}');
    expect(() => formatValue(1.5, 'int')).toThrow();
  });
});

describe('cross-checks', () => {
  const facts = { maxBudget: 16384, minBudget: 8192, evalMaxTokens: 32768, overlongBuffers: [{ reward: 'reward.o', buffer: 9000 }] };
  const base = [
    ['trainer.use_v1', true], ['trainer.v1.trainer_mode', 'sync'], ['trainer.nnodes', 1], ['trainer.n_gpus_per_node', 8],
    ['actor_rollout_ref.rollout.n', 16], ['data.train_batch_size', 128], ['actor_rollout_ref.actor.ppo_mini_batch_size', 32],
    ['actor_rollout_ref.actor.use_dynamic_bsz', true], ['actor_rollout_ref.actor.ppo_max_token_len_per_gpu', 40000],
    ['data.max_prompt_length', 2048], ['data.max_response_length', 32768], ['actor_rollout_ref.rollout.tensor_model_parallel_size', 1],
  ] as const;
  const with_ = (changes: Record<string, unknown>) => base.map(([key, value]) => ({ key, value: (key in changes ? changes[key] : value) as never }));

  it('passes a sound job except for an overlong buffer longer than the smallest budget', () => {
    expect(crossCheck(with_({}), facts, 'train.rl').map((p) => p.at)).toEqual([{ node: 'reward.o', key: 'buffer' }]);
  });

  it('catches async mode, odd batches, short padding and a --tp that does not divide', () => {
    const f = { ...facts, overlongBuffers: [] };
    const msgs = crossCheck(with_({ 'trainer.v1.trainer_mode': 'colocate_async', 'data.train_batch_size': 3, 'actor_rollout_ref.rollout.n': 5, 'data.max_response_length': 8192, 'actor_rollout_ref.rollout.tensor_model_parallel_size': 3 }), f, 'train.rl').map((p) => p.message);
    expect(msgs.join('\n')).toMatch(/sync/);
    expect(msgs.join('\n')).toMatch(/15 responses of a step/);
    expect(msgs.join('\n')).toMatch(/below the largest budget/);
    expect(msgs.join('\n')).toMatch(/below the eval cap/);
    expect(msgs.join('\n')).toMatch(/--tp 3/);
  });
});

describe('verlDiagnostics', () => {
  it('reports refusals on the user\'s line without writing anything', () => {
    const out = compileFile(join(ROOT, 'test/fixtures/diagnostics/E0605-verl-linear-lr-schedule.siri'), { mode: 'compile' });
    const ds = verlDiagnostics(out);
    expect(ds.map((d) => d.code)).toEqual(['E0605']);
    expect(ds[0]!.span?.start.line).toBe(26);
  });

  it('maps the cluster flags', () => {
    const out = compileFile(join(ROOT, 'test/fixtures/diagnostics/W0051-verl-extra-checkpoints.siri'), { mode: 'compile' });
    const t = verlTarget(out, { cluster: { nodes: 2, gpusPerNode: 4, rollout: 'sglang', tp: 2 } });
    expect(t.lines).toEqual(expect.arrayContaining(['trainer.nnodes=2', 'trainer.n_gpus_per_node=4', 'actor_rollout_ref.rollout.name=sglang', 'actor_rollout_ref.rollout.tensor_model_parallel_size=2']));
  });
});
