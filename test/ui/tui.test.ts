// The live view at representative moments of a run, asserted on the frame text.
import React from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../src/compiler.js';
import type { RunEvent, StepMetrics } from '../../src/runtime/types.js';
import { initialState, reduce, type TuiState } from '../../src/ui/tui/state.js';
import { App, sparkline } from '../../src/ui/tui/view.js';

const ir = compileFile('test/fixtures/quickstart-arith.siri', { mode: 'compile' }).ir!;
const T0 = 1_000_000;

function step(global: number, over: Partial<StepMetrics> = {}): RunEvent {
  const rl = global > 600;
  const m: StepMetrics = {
    type: 'train', stage: rl ? 'rl' : 'warmup', algorithm: rl ? 'grpo' : 'sft', step: rl ? global - 600 : global, global_step: global, phase: rl ? 'compress' : 'sft', cycle: 1, role: rl ? 'compress' : 'hold', max_tokens: rl ? 86 : 160, lr: 2e-4,
    reward_mean: rl ? 0.3 + (global % 7) / 20 : null, reward_std: rl ? 0.4 : null, accuracy: rl ? 0.25 + (global % 5) / 20 : null, response_len_mean: 24 + (global % 9), response_len_max: 60, truncated_frac: rl ? 0.02 : 0,
    loss: 0.02, clip_frac: rl ? 0.004 : null, entropy: rl ? 0.2 : null, kl: rl ? 0 : null, grad_norm: 0.9, tokens_per_s: 6200, time_s: 1, groups_kept: rl ? 16 : null, reward_errors: 0, ...over,
  };
  return { type: 'step', metrics: m };
}

function stateAfter(events: RunEvent[]): TuiState {
  let s = initialState(ir, T0);
  events.forEach((e, i) => (s = reduce(s, e, T0 + 1000 * (i + 1))));
  return s;
}

const start: RunEvent[] = [
  { type: 'run_start', pipeline: 'quickstart', file: 'quickstart.siri', run_dir: 'runs/quickstart/20261126-101500', backend: 'wasm (WebAssembly SIMD, 1 thread)', backend_notes: ['webgpu: no GPU adapter found'], total_steps: 720 },
  { type: 'stage_start', stage: 'warmup', algorithm: 'sft', steps: 600, start_step: 0 },
];
const frame = (s: TuiState, width = 80, height = 24): string => render(React.createElement(App, { state: s, width, height })).lastFrame() ?? '';

describe('live view', () => {
  it('at the start: header, backend, the whole schedule as a timeline', () => {
    const f = frame(stateAfter(start));
    expect(f).toContain('siric · quickstart');
    expect(f).toContain('wasm (WebAssembly SIMD, 1 thread)');
    expect(f).toContain('note: webgpu: no GPU adapter found');
    expect(f).toMatch(/░+/); // the SFT stage
    expect(f).toMatch(/▼+/); // compression phases
    expect(f).toMatch(/▲+/); // expansion phases
    expect(f).toContain('step 0/720');
  });

  it('mid-compression: budget, phase, metrics with sparklines, the latest sample', () => {
    const events: RunEvent[] = [...start, { type: 'stage_start', stage: 'rl', algorithm: 'grpo', steps: 120, start_step: 600 }, { type: 'phase_start', stage: 'rl', phase: 'compress', cycle: 1, role: 'compress', step: 600, from: 112, to: 48 }];
    for (let g = 601; g <= 612; g++) events.push(step(g));
    events.push({ type: 'sample', stage: 'rl', step: 612, prompt: '3+4*2=\n', response: '4*2=8 3+8=11 Answer: 11', reward: 1, correct: true, truncated: false });
    const f = frame(stateAfter(events));
    expect(f).toContain('step 612/720 · rl · compress-1 · budget 86 tokens');
    expect(f).toMatch(/reward\s+0\.\d\d\s+[▁▂▃▄▅▆▇█]{5,}/);
    expect(f).toMatch(/length\s+\d+\/86/);
    expect(f).toContain('3+4*2= ⏎ → 4*2=8 3+8=11 Answer: 11');
    expect(f).toContain('✓ 1.00');
    expect(f).toMatch(/ETA \d+:\d\d/);
  });

  it('a step without an update says why (no zeros), with skipped updates and a short batch', () => {
    const events: RunEvent[] = [...start, { type: 'stage_start', stage: 'rl', algorithm: 'grpo', steps: 120, start_step: 600 }, step(601), step(602, { loss: null, entropy: null, clip_frac: null, grad_norm: null, groups_kept: 0, sampling_rounds: 4, groups_short: 16, updates_skipped: 1, no_update: 'all groups had equal accuracy' })];
    const f = frame(stateAfter(events), 100, 40);
    expect(f).toContain('no update: all groups had equal accuracy · 1 non-finite update skipped · 4 rounds, 16 groups short');
    expect(f).toMatch(/entropy\s+-/);
    expect(f).toMatch(/loss\s+-/);
  });

  it('a phase change and an eval appear in the log and in the eval line', () => {
    const events: RunEvent[] = [...start, step(620), { type: 'phase_start', stage: 'rl', phase: 'expand', cycle: 1, role: 'expand', step: 620, from: 48, to: 112 }, { type: 'eval', metrics: { type: 'eval', eval: 'heldout', stage: 'rl', step: 620, reason: 'phase_end', accuracy: 0.32, response_len_mean: 21.5, truncated_frac: 0, n: 128, samples: 1 } }, { type: 'checkpoint', name: 'compress-1-end', path: 'x', step: 20, global_step: 620, siri: 'low' }];
    const f = frame(stateAfter(events));
    expect(f).toContain('phase expand-1 (expand): budget 48 → 112 tokens');
    expect(f).toContain('eval heldout after step 620: accuracy 32.0%, 21.5 tokens');
    expect(f).toContain('checkpoint compress-1-end (SIRI-low) after step 620');
    expect(f).toContain('accuracy 32.0%  21.5 tokens  (after step 620, phase_end)');
  });

  it('a warning scrolls in the log', () => {
    const f = frame(stateAfter([...start, { type: 'warning', message: 'reward `flaky` failed on a response at step 3: boom (scored 0)' }]));
    expect(f).toContain('warning: reward `flaky` failed');
  });

  it('fits the terminal: at 80 and at 40 columns no line is wider, and the live region stays within 24 lines', () => {
    const events: RunEvent[] = [...start];
    for (let g = 601; g <= 640; g++) events.push(step(g));
    events.push({ type: 'sample', stage: 'rl', step: 640, prompt: 'a very long prompt '.repeat(10), response: 'a very long response '.repeat(10), reward: 0, correct: false, truncated: true });
    const s = { ...stateAfter(events), log: [] };
    for (const width of [80, 40]) {
      const lines = frame(s, width).split('\n');
      for (const l of lines) expect([...l].length, `${width}: ${l}`).toBeLessThanOrEqual(width);
      expect(lines.length).toBeLessThanOrEqual(24);
    }
  });

  it('on a short terminal drops the least important rows, keeping the timeline and the budget', () => {
    const events: RunEvent[] = [...start];
    for (let g = 601; g <= 610; g++) events.push(step(g));
    const s = { ...stateAfter(events), log: [] };
    const lines = frame(s, 80, 8).split('\n');
    expect(lines.length).toBeLessThanOrEqual(7);
    expect(lines.join('\n')).toContain('step 610/720');
    expect(lines.join('\n')).toMatch(/[░▼▲]{10,}/);
  });

  it('sparklines scale to the series', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([1, 1, 1], 8)).toBe('▄▄▄');
  });
});
