// Hints a user follows, checked by following them: the backend note of the run banner compiles as
// written, and `siric eval RUN_DIR` lists the run's checkpoints with a command that evaluates one.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const BIN = path.join(ROOT, 'bin', 'siric.js');
const TINY = path.join(ROOT, 'test', 'fixtures', 'runtime', 'tiny.siri');
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1' };
delete ENV['FORCE_COLOR'];
delete ENV['SIRIC_DEBUG'];

function siric(args: string[], cwd = ROOT): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: ENV, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  expect(r.stderr).not.toContain('siric failed unexpectedly');
  return r;
}

let tmp: string;
let banner = '';
let runDir = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-hints-'));
  // backend auto on a tiny model: webgpu is skipped, and the banner says how to ask for it.
  // 5 steps: warmup-end (3), rl-step-1 (4) and compress-1-end (5, SIRI-low) are written.
  const r = siric(['run', TINY, '--backend', 'auto', '--no-tui', '--out', tmp, '--max-steps', '5']);
  expect(r.status, r.stderr).toBe(0);
  banner = r.stdout;
  runDir = /run directory (\S+)/.exec(r.stdout)![1]!;
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the backend note of the banner', () => {
  it('suggests `--backend webgpu` or a `backend = ...` line that compiles in the pipeline block', () => {
    const note = banner.split('\n').find((l) => l.includes('webgpu: not tried'));
    expect(note, banner).toBeDefined();
    expect(note).toContain('--backend webgpu');
    const line = /(backend = \S+) in the pipeline block/.exec(note!)?.[1];
    expect(line).toBe('backend = webgpu');
    const file = path.join(tmp, 'suggested.siri');
    fs.writeFileSync(file, fs.readFileSync(TINY, 'utf8').replace(/^ {2}backend = cpu$/m, `  ${line!}`));
    expect(fs.readFileSync(file, 'utf8')).toContain('  backend = webgpu\n');
    fs.copyFileSync(path.join(path.dirname(TINY), 'flaky-reward.mjs'), path.join(tmp, 'flaky-reward.mjs')); // check reads the files a pipeline names
    const check = siric(['check', file]);
    expect(check.stderr).not.toMatch(/error/);
    expect(check.status).toBe(0);
    expect(siric(['run', '--help']).stdout).toMatch(/--backend <name>[^]*"webgpu"/);
  });

  it('no hint in the sources quotes a backend name (`backend = "wasm"` does not compile)', () => {
    const quoted: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.includes('.generated.')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/backend = \\?["'`]\w+/g)) quoted.push(`${path.relative(ROOT, p)}: ${m[0]}`);
      }
    };
    walk(path.join(ROOT, 'src'));
    expect(quoted).toEqual([]);
  });
});

describe('siric eval RUN_DIR', () => {
  it('lists the checkpoints (name, global step, SIRI label) and a command that evaluates one, as printed', () => {
    const rel = path.relative(ROOT, runDir);
    const r = siric(['eval', rel, '--data', 'arith', '--limit', '2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`error: ${rel} is a run directory, not a checkpoint; its checkpoints:`);
    expect(r.stderr).not.toContain('not inside a run directory');
    const rows = r.stderr.split('\n').filter((l) => /^ {2}[\w-]+ +\d+/.test(l)).map((l) => l.trim().split(/\s+/));
    expect(rows).toEqual([['warmup-end', '3'], ['rl-step-1', '4'], ['compress-1-end', '5', 'SIRI-low']]);
    const cmd = /= help: evaluate one, e\.g\. (.*)$/m.exec(r.stderr)?.[1];
    expect(cmd).toBe(`npx siric eval ${rel}/checkpoints/compress-1-end --data arith`);
    const ran = spawnSync('sh', ['-c', `${cmd!} --limit 2 --json`], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 60_000 });
    expect(ran.status, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ dataset: 'arith' });
  });

  it('`eval --help` names the checkpoint path form, not a checkpoint that no run writes', () => {
    const help = siric(['eval', '--help']).stdout;
    expect(help).toContain('runs/<pipeline>/<id>/checkpoints/<name>');
    expect(help).not.toContain('checkpoints/final');
  });
});
