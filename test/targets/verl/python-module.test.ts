// A custom reward with a `python_module` compiles to a verl job (no E0603): the file is copied into
// the job, siri_job.json maps the reward to it, and the job's compute_score calls it; a missing
// `python_module` is an error of `check`, on the user's line.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleDir, siric } from './helpers.js';
import { NO_PYTHON, PY_HELPERS, python } from './python-job.js';

function pipelineWithPythonReward(pythonModule: string): string {
  const dir = exampleDir('siri-1.5b-low');
  const file = join(dir, 'siri-1.5b-low.siri');
  const text = readFileSync(file, 'utf8').replace('rewards = [rewards.boxed_math]', 'rewards = [rewards.boxed_math, mine]');
  writeFileSync(file, `${text}\nreward mine {\n  kind = custom\n  module = "mine.mjs"\n  python_module = "${pythonModule}"\n  weight = 0.5\n}\n`);
  writeFileSync(join(dir, 'mine.mjs'), readFileSync(join(PY_HELPERS, 'custom_reward.mjs')));
  writeFileSync(join(dir, 'mine.py'), readFileSync(join(PY_HELPERS, 'custom_reward.py')));
  return dir;
}

describe('a custom reward with a python_module under --target verl', () => {
  it('is copied into the job, mapped in siri_job.json, and called by compute_score', () => {
    const dir = pipelineWithPythonReward('mine.py');
    const r = siric(['compile', 'siri-1.5b-low.siri', '--target', 'verl', '-o', 'job'], dir);
    expect(r.out).not.toContain('E0603');
    expect(r.code, r.out).toBe(0);
    const job = join(dir, 'job');
    expect(JSON.parse(readFileSync(join(job, 'siri_job.json'), 'utf8')).python_modules).toEqual({ mine: 'rewards/mine.py' });
    expect(readFileSync(join(job, 'rewards/mine.py'), 'utf8')).toBe(readFileSync(join(PY_HELPERS, 'custom_reward.py'), 'utf8'));
    if (NO_PYTHON) return console.log(`skipped the Python half: ${NO_PYTHON}`);
    // 'DICT … right' scores 0.5 from the Python module; boxed_math gives 1 for the right boxed answer.
    const py = python(['-c', `import json, siri_verl; print(json.dumps(siri_verl.compute_score("siric/deepscaler", "DICT right \\\\boxed{3}", "3", {"siri_loop": "train", "siri_budget": 16384, "siri_response_len": 20, "siri_truncated": False, "split": "train", "index": 0})))`], { cwd: job, pythonPath: [job] });
    expect(py.status, py.stderr).toBe(0);
    const out = JSON.parse(py.stdout) as Record<string, number>;
    expect(out['reward/mine']).toBeCloseTo(0.25, 9);
  });

  it('a python_module that does not exist is E0508 on its own line in `check`', () => {
    const dir = pipelineWithPythonReward('missing.py');
    const r = siric(['check', 'siri-1.5b-low.siri', '--target', 'verl'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error\[E0508\]: the Python module `missing.py` of `mine` does not exist/);
    expect(r.out).toMatch(/python_module = "missing.py"/);
  });
});
