// The plain and JSON reporters print the documented lines for every kind of run event.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunEvent, StepMetrics } from '../../src/runtime/types.js';
import { jsonLine } from '../../src/ui/json.js';
import { plainLine, summaryTable } from '../../src/ui/plain.js';

const rl: StepMetrics = {
  type: 'train', stage: 'rl', algorithm: 'grpo', step: 12, global_step: 312, phase: 'compress', cycle: 1, role: 'compress', max_tokens: 86, lr: 2e-4,
  reward_mean: 0.42, reward_std: 0.31, accuracy: 0.38, response_len_mean: 54.2, response_len_max: 86, truncated_frac: 0.06, loss: 0.0123, clip_frac: 0.031,
  entropy: 0.81, kl: 0, grad_norm: 0.44, tokens_per_s: 812.4, time_s: 1.3, groups_kept: 16, reward_errors: 0,
};
const evalRow = { type: 'eval' as const, eval: 'heldout', stage: 'rl', step: 320, reason: 'phase_end', accuracy: 0.3125, response_len_mean: 21.5, truncated_frac: 0, n: 128, samples: 1 };

const events: RunEvent[] = [
  { type: 'run_start', pipeline: 'quickstart', file: 'quickstart.siri', run_dir: 'runs/quickstart/x', backend: 'wasm (WebAssembly SIMD)', backend_notes: ['webgpu: no GPU adapter found'], total_steps: 720 },
  { type: 'stage_start', stage: 'rl', algorithm: 'grpo', steps: 120, start_step: 600 },
  { type: 'phase_start', stage: 'rl', phase: 'compress', cycle: 1, role: 'compress', step: 600, from: 112, to: 48 },
  { type: 'step', metrics: rl },
  { type: 'step', metrics: { ...rl, algorithm: 'sft', stage: 'warmup', reward_mean: null, reward_std: null, accuracy: null, clip_frac: null, entropy: null, kl: null, groups_kept: null } },
  { type: 'eval', metrics: evalRow },
  { type: 'sample', stage: 'rl', step: 312, prompt: '3+4=\n', response: '3+4=7 Answer: 7', reward: 1, correct: true, truncated: false },
  { type: 'checkpoint', name: 'compress-1-end', path: 'runs/quickstart/x/checkpoints/compress-1-end', step: 20, global_step: 620, siri: 'low' },
  { type: 'warning', message: 'reward `flaky` failed' },
  { type: 'stage_end', stage: 'rl' },
  { type: 'run_end', status: 'done', summary: [evalRow], run_dir: 'runs/quickstart/x' },
];

describe('plain reporter', () => {
  it('prints one line per step with the budget, reward, lengths and optimizer numbers', () => {
    expect(plainLine(events[3]!)).toBe('[rl 12 · 312] compress-1 max 86 | reward 0.42±0.31 acc 0.38 len 54.2/86 trunc 0.06 | loss 0.0123 clip 0.031 ent 0.81 gn 0.44 | 812 tok/s 1.30s');
    expect(plainLine(events[4]!)).toBe('[warmup 12 · 312] compress-1 max 86 | loss 0.0123 len 54.2 | gn 0.44 lr 2.0e-4 | 812 tok/s 1.30s');
  });

  it('says when a step made no update, instead of zeros, and shows refills, a short batch and skipped updates', () => {
    const none: StepMetrics = { ...rl, loss: null, clip_frac: null, entropy: null, kl: null, grad_norm: null, groups_kept: 0, sampling_rounds: 4, groups_short: 16, updates_skipped: 0, no_update: 'all groups had equal accuracy' };
    expect(plainLine({ type: 'step', metrics: none })).toBe('[rl 12 · 312] compress-1 max 86 | reward 0.42±0.31 acc 0.38 len 54.2/86 trunc 0.06 | 4 rounds, 16 groups short | no update: all groups had equal accuracy | 812 tok/s 1.30s');
    expect(plainLine({ type: 'step', metrics: { ...rl, sampling_rounds: 1, groups_short: 0, updates_skipped: 2 } })).toBe('[rl 12 · 312] compress-1 max 86 | reward 0.42±0.31 acc 0.38 len 54.2/86 trunc 0.06 | loss 0.0123 clip 0.031 ent 0.81 gn 0.44 | skipped 2 non-finite | 812 tok/s 1.30s');
  });

  it('prints events: the run header with backend notes, phases, evals, checkpoints, warnings', () => {
    expect(plainLine(events[0]!)).toContain('  - webgpu: no GPU adapter found');
    expect(plainLine(events[2]!)).toBe('phase compress-1 (compress) from step 600: budget 112 → 48 tokens');
    expect(plainLine(events[5]!)).toBe('eval heldout after step 320 (phase_end): accuracy 0.313, mean tokens 21.5, truncated 0.00 over 128');
    expect(plainLine(events[7]!)).toBe('checkpoint compress-1-end (SIRI-low) after step 620: runs/quickstart/x/checkpoints/compress-1-end');
    expect(plainLine(events[8]!)).toBe('warning: reward `flaky` failed');
    expect(plainLine(events[6]!)).toBeUndefined();
  });

  it('says at a stage end how its updates and decode steps ran on webgpu, and nothing elsewhere', () => {
    expect(plainLine({ type: 'stage_end', stage: 'rl' })).toBeUndefined();
    expect(plainLine({ type: 'stage_end', stage: 'rl', update_graphs: { updates: 240, replayed: 126, reason: 'two recordings differ: call 12 (bind) differs in its group' }, decode_graphs: { steps: 18776, replayed: 17824 } })).toBe(
      'rl: 126 of 240 updates replayed as step graphs; the last through tfjs: two recordings differ: call 12 (bind) differs in its group\nrl: 17824 of 18776 decode steps replayed as step graphs',
    );
    expect(plainLine({ type: 'stage_end', stage: 'warmup', decode_graphs: { steps: 89, replayed: 85 } })).toBe('warmup: 85 of 89 decode steps replayed as step graphs');
  });

  it('ends with the table of eval accuracy and mean tokens', () => {
    const t = summaryTable([evalRow]);
    expect(t).toContain('eval     after step  stage  when       accuracy  mean tokens  truncated');
    expect(t).toContain('heldout  320         rl     phase_end     0.313         21.5       0.00');
    expect(plainLine(events[10]!)).toContain('done: runs/quickstart/x');
  });
});

describe('JSON reporter', () => {
  it('prints each event as one JSON line that parses back to the same event', () => {
    for (const e of events) {
      const line = jsonLine(e);
      expect(line).not.toContain('\n');
      expect(JSON.parse(line)).toEqual(e);
    }
  });

  it('docs/events.md documents every event type', () => {
    const doc = readFileSync('docs/events.md', 'utf8');
    for (const e of events) expect(doc).toContain(`| \`${e.type}\` |`);
  });
});
