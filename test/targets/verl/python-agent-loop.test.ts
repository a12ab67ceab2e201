// siri_verl's agent loops against a stand-in for the verl 0.9.0 classes they subclass
// (test/targets/verl/python/stubs/, the signatures of the reference notes): the training loop sets
// `max_tokens` from the sample's `global_steps`, marks truncation (the cap reached without EOS) and
// records budget, length and truncation in extra_fields; the eval loop uses its fixed cap; a sample
// without `global_steps` is a clear error; `import siri_verl` needs no verl.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileIR, drive, grpoStage, makeJob, NO_PYTHON, PY_HELPERS, PY_SRC, python, STUBS } from './python-job.js';

interface Run {
  ok?: { seen: { sampling_params: Record<string, number>; priority: number }[]; caller_params: Record<string, number>; response_len: number; extra_fields: Record<string, unknown> };
  error?: string;
}

const TRAIN = 'siri_verl.SiriBudgetAgentLoop';
const EVAL = 'siri_verl.SiriEvalAgentLoop';

describe.skipIf(NO_PYTHON)('the siri_verl agent loops', () => {
  const ir = compileIR('test/fixtures/quickstart-arith.siri');
  const byStep = grpoStage(ir).budget.by_step;
  const dir = makeJob(ir);
  const steps = [1, 20, 21, 45, 120];
  const runs = [
    // a long answer at each step: cut at that step's budget, so truncated
    ...steps.map((s) => ({ target: TRAIN, want: { len: 10_000, eos: true }, row: { global_steps: s, priority: 3, index: 0 } })),
    { target: TRAIN, want: { len: 10, eos: true }, row: { global_steps: 1 } }, // short, ends
    { target: TRAIN, want: { len: byStep[0], eos: true }, row: { global_steps: 1 } }, // EOS exactly at the cap: not cut off
    { target: TRAIN, want: { len: byStep[0], eos: false }, row: { global_steps: 1 } }, // the cap, no EOS: cut off
    { target: TRAIN, want: { len: 10, eos: true }, row: {} }, // no global_steps
    { target: EVAL, want: { len: 10_000, eos: true }, row: { global_steps: 7 }, yaml: { name: 'siri_eval', max_tokens: 77 } },
    { target: EVAL, want: { len: 5, eos: true }, row: {}, yaml: { name: 'siri_eval' } }, // the cap from siri_job.json
  ];
  const r = python([path.join(PY_HELPERS, 'agent_loop_check.py'), dir], { input: JSON.stringify({ runs }), pythonPath: [STUBS] });
  const out = JSON.parse(r.status === 0 ? r.stdout : 'null') as { runs: Run[]; module: string; pickles: boolean; eval_is_single_turn: string[] } | null;

  it('run on the stand-in', () => {
    expect(r.stderr).toBe('');
    expect(out).not.toBeNull();
  });

  it("set max_tokens to the step's budget and record budget, length and truncation", () => {
    steps.forEach((s, i) => {
      const run = out!.runs[i]!.ok!;
      expect(run.seen).toEqual([{ sampling_params: { temperature: 1, top_p: 1, max_tokens: byStep[s - 1] }, priority: 3 }]);
      expect(run.response_len).toBe(byStep[s - 1]);
      expect(run.extra_fields).toEqual({ from_server: 1, siri_loop: 'train', siri_budget: byStep[s - 1], siri_response_len: byStep[s - 1], siri_truncated: true });
      expect(run.caller_params).toEqual({ temperature: 1, top_p: 1, max_new_tokens: 5 }); // the caller's dict is left alone
    });
    expect(new Set(steps.map((s) => byStep[s - 1])).size).toBeGreaterThan(2);
  });

  it('mark truncation: the cap reached without EOS', () => {
    const [short, eosAtCap, noEos] = out!.runs.slice(steps.length, steps.length + 3).map((x) => x.ok!.extra_fields);
    expect(short).toMatchObject({ siri_response_len: 10, siri_truncated: false });
    expect(eosAtCap).toMatchObject({ siri_response_len: byStep[0], siri_truncated: false });
    expect(noEos).toMatchObject({ siri_response_len: byStep[0], siri_truncated: true });
  });

  it('refuse a sample without global_steps, with the reason', () => {
    expect(out!.runs[steps.length + 3]!.error).toBe(
      'RuntimeError: SiriBudgetAgentLoop: the sample carries no `global_steps`, so its step\'s budget is unknown; verl\'s V1 trainer in sync mode stamps it (trainer.use_v1=true trainer.v1.trainer_mode=sync)',
    );
  });

  it('give eval rollouts the fixed cap, from the YAML or siri_job.json', () => {
    const [yaml, job] = out!.runs.slice(steps.length + 4).map((x) => x.ok!);
    expect(yaml!.seen[0]!.sampling_params['max_tokens']).toBe(77);
    expect(yaml!.extra_fields).toMatchObject({ siri_loop: 'eval', siri_budget: 77, siri_response_len: 77, siri_truncated: true });
    const evalMax = Math.max(...ir.nodes.flatMap((n) => (n.type === 'eval' ? [n.max_tokens] : [])));
    expect(job!.seen[0]!.sampling_params['max_tokens']).toBe(evalMax);
    expect(job!.extra_fields).toMatchObject({ siri_budget: evalMax, siri_response_len: 5, siri_truncated: false });
  });

  it('are found, pickled and subclassed by name, as Hydra and Ray do', () => {
    expect(out!.module).toBe('siri_verl');
    expect(out!.pickles).toBe(true);
    expect(out!.eval_is_single_turn).toEqual(['SingleTurnAgentLoop']);
  });

  it("feed compute_score: a cut-off response earns nothing, the same one uncut is scored", () => {
    const fields = (truncated: boolean) => ({ split: 'train', index: 0, siri_loop: 'train', siri_budget: 48, siri_response_len: 48, siri_truncated: truncated });
    const [cut, whole] = drive<{ ok: Record<string, number> }>(dir, [true, false].map((t) => ({ op: 'score', data_source: 'siric/arith', solution_str: 'Answer: 12', ground_truth: '12', extra_info: fields(t) })));
    expect(cut!.ok).toMatchObject({ score: 0, acc: 0, truncated: 1 });
    expect(whole!.ok).toMatchObject({ score: 1, acc: 1, truncated: 0 });
  });

  it('import without verl; the classes then say that they need it', () => {
    const r2 = python(['-c', 'import siri_verl\ntry:\n    siri_verl.SiriBudgetAgentLoop\nexcept ImportError as e:\n    print(e)'], { cwd: PY_SRC, pythonPath: [PY_SRC] });
    expect(r2.stderr).toBe('');
    expect(r2.stdout).toMatch(/^siri_verl's agent loops subclass verl's SingleTurnAgentLoop \(verl\.experimental\.agent_loop, verl 0\.9\): No module named 'verl'/);
  });
});
