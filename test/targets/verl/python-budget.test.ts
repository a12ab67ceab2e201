// siri_verl.budget_at (a Python port of src/ir/schedule.ts, computed from graph.json's phases) gives
// at every step of every example exactly the budget siric compiled (`siric plan` prints the same
// table: it has no --json, so the IR's by_step is the reference), and a job folder whose
// siri_budget.json disagrees with the schedule does not load.
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/binary.js';
import type { IRCurve } from '../../../src/ir/graph.js';
import { curveAt } from '../../../src/ir/schedule.js';
import { compileIR, drive, grpoStage, makeJob, NO_PYTHON, PY_SRC, python } from './python-job.js';

const EXAMPLES = ['examples', 'examples/experiments', 'examples/testbed'].flatMap((d) =>
  readdirSync(path.join(ROOT, d))
    .filter((f) => f.endsWith('.siri'))
    .map((f) => `${d}/${f}`),
);

describe.skipIf(NO_PYTHON)('siri_verl.budget_at', () => {
  it('finds the examples', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of EXAMPLES) {
    it(`equals siric's budget at every step of ${file}`, () => {
      const ir = compileIR(file);
      const stage = grpoStage(ir);
      const [got] = drive<{ budget_at: number[]; expanded: [number[], number[]] }>(makeJob(ir), [{ op: 'budgets' }]);
      expect(got!.budget_at.length).toBe(stage.steps);
      const wrong = got!.budget_at.flatMap((b, i) => (b === stage.budget.by_step[i] ? [] : [`step ${i + 1}: python ${b}, siric ${stage.budget.by_step[i]}`]));
      expect(wrong).toEqual([]);
      expect(got!.expanded[0]).toEqual(stage.budget.by_step);
      expect(got!.expanded[1]).toEqual(stage.budget.phase_by_step);
    });
  }

  it('computes every curve as curveAt does, halves rounded up as Math.round', () => {
    const curves: IRCurve[] = [];
    for (const kind of ['constant', 'linear', 'cosine'] as const) for (const [from, to] of [[2, 3], [3, 2], [1, 1], [16384, 8192], [8192, 16384], [5, 100], [97, 3]] as const) curves.push({ kind, from, to });
    const calls = curves.flatMap((c) => [1, 2, 3, 5, 7, 160].flatMap((n) => Array.from({ length: n }, (_, k) => ({ c, k, n }))));
    const got = drive<{ ok: number }>(PY_SRC, calls.map(({ c, k, n }) => ({ op: 'call', fn: 'curve_at', args: [c, k, n] })));
    const wrong = calls.flatMap(({ c, k, n }, i) => (got[i]!.ok === curveAt(c, k, n) ? [] : [`${JSON.stringify(c)} k=${k} n=${n}: python ${JSON.stringify(got[i])}, siric ${curveAt(c, k, n)}`]));
    expect(calls.length).toBeGreaterThan(3000);
    expect(wrong).toEqual([]);
  });

  it('refuses a job whose siri_budget.json disagrees with the schedule, naming the step', () => {
    const ir = compileIR('examples/siri-1.5b-low.siri');
    const dir = makeJob(ir, { budget: (b) => void ((b['by_step'] as number[])[16] = 12345) });
    const r = python(['-c', 'import siri_verl'], { cwd: dir, pythonPath: [dir] });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('siri_budget.json disagrees with the schedule in graph.json at step 17: 12345 there');
  });

  it('refuses a step outside the stage, and works from SIRI_JOB_DIR', () => {
    const ir = compileIR('test/fixtures/quickstart-arith.siri');
    const dir = makeJob(ir);
    writeFileSync(path.join(dir, 'probe.py'), 'import siri_verl\nprint(siri_verl.budget_at(1), siri_verl.budget_at(120))\ntry:\n    siri_verl.budget_at(121)\nexcept ValueError as e:\n    print(e)\n');
    const r = python([path.join(dir, 'probe.py')], { cwd: ROOT, pythonPath: [path.join(ROOT, 'src/targets/verl/python')], env: { SIRI_JOB_DIR: dir } });
    expect(r.stderr).toBe('');
    const stage = grpoStage(ir);
    expect(r.stdout).toBe(`${stage.budget.by_step[0]} ${stage.budget.by_step[119]}\nstep 121 is outside the stage's 120 steps (global_steps counts from 1)\n`);
  });
});

describe.skipIf(NO_PYTHON)('the verl modules', () => {
  it('parse as Python 3.9 and import only the standard library at module level', () => {
    const check = [
      'import ast, sys, json',
      'bad = []',
      'for f in sys.argv[1:]:',
      '    tree = ast.parse(open(f).read(), f, feature_version=(3, 9))',
      '    for node in tree.body:',
      '        if isinstance(node, (ast.Import, ast.ImportFrom)):',
      '            for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]):',
      '                if name.split(".")[0] not in sys.stdlib_module_names: bad.append(f + ": " + name)',
      'print(json.dumps(bad))',
    ].join('\n');
    const r = python(['-c', check, path.join(PY_SRC, 'siri_verl.py'), path.join(PY_SRC, 'siri_export.py')]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
