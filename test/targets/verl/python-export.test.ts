// siri_export.py merges exactly the named checkpoints of checkpoints.json with verl.model_merger:
// --dry-run prints the commands, a stand-in verl/model_merger on PYTHONPATH is run for each
// checkpoint that is there, missing ones are skipped with a message and exit 1, --only picks.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileIR, grpoStage, makeJob, NO_PYTHON, python, scratch, STUBS } from './python-job.js';

describe.skipIf(NO_PYTHON)('siri_export.py', () => {
  const ir = compileIR('examples/siri-1.5b-low.siri');
  const cps = grpoStage(ir).checkpoints;
  const dir = makeJob(ir);
  writeFileSync(path.join(dir, 'checkpoints.json'), JSON.stringify({ version: 1, checkpoints: cps.map((c) => ({ name: c.name, step: c.step, dir: `global_step_${c.step}/actor`, siri: c.siri })), local_dir: 'ckpt' }));
  // The run got as far as step 480: the later checkpoints are not there.
  const present = cps.filter((c) => c.step <= 480);
  for (const c of present) mkdirSync(path.join(dir, 'ckpt', `global_step_${c.step}`, 'actor'), { recursive: true });
  const script = path.join(dir, 'siri_export.py');

  it('--dry-run prints one merge command per named checkpoint', () => {
    const r = python([script, 'out', '--dry-run'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const py = python(['-c', 'import sys; print(sys.executable)']).stdout.trim();
    expect(r.stdout.trim().split('\n')).toEqual(cps.map((c) => `${py} -m verl.model_merger merge --backend fsdp --local_dir ${dir}/ckpt/global_step_${c.step}/actor --target_dir out/${c.name}`));
    expect(cps.map((c) => c.name)).toContain('compress-1-end');
  });

  it('merges those that are there, skips the others with a message, and exits 1', () => {
    const out = scratch();
    const r = python([script, out], { cwd: dir, pythonPath: [STUBS] });
    expect(r.status).toBe(1);
    for (const c of cps) {
      const merged = path.join(out, c.name, 'merged.json');
      expect(existsSync(merged), c.name).toBe(c.step <= 480);
      if (c.step <= 480) expect(JSON.parse(readFileSync(merged, 'utf8'))).toEqual({ backend: 'fsdp', local_dir: path.join(dir, 'ckpt', `global_step_${c.step}`, 'actor') });
    }
    const missing = cps.filter((c) => c.step > 480);
    expect(missing.length).toBeGreaterThan(0);
    for (const c of missing) expect(r.stderr).toContain(`siri_export: skipping ${c.name} (step ${c.step}`);
    expect(r.stderr).toContain(`siri_export: ${missing.length} of ${cps.length} checkpoints were not there and were not exported`);
  });

  it('--only exports the one named (SIRI-low at the first compression end) and exits 0', () => {
    const out = scratch();
    const r = python([script, out, '--only', 'compress-1-end'], { cwd: dir, pythonPath: [STUBS] });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`siri_export: compress-1-end (step 160, SIRI-low) -> ${out}/compress-1-end\n`);
    expect(existsSync(path.join(out, 'compress-1-end', 'merged.json'))).toBe(true);
    expect(existsSync(path.join(out, 'rl-step-80'))).toBe(false);
  });

  it('--only with an unknown name lists the names, and --local-dir points elsewhere', () => {
    const r = python([script, '--only', 'nope', '--dry-run'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`siri_export: no checkpoint named nope; the checkpoints: ${cps.map((c) => c.name).join(', ')}`);
    const d = python([script, '--dry-run', '--only', 'rl-end', '--local-dir', '/data/run'], { cwd: dir });
    expect(d.stdout).toContain(`--local_dir /data/run/global_step_800/actor --target_dir exports/rl-end`);
  });
});
