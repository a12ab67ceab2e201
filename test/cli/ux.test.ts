// What a user sees from the real binary (bin/siric.js → dist/): hints that run as printed, a run
// that reached its last step is "done" even under --max-steps (and "stopped" only when steps
// remain). Needs a build (`npm test` builds first).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ENV, ROOT, TINY, siric } from '../helpers/binary.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-ux-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A printed command line, run by a shell exactly as printed. */
function shell(line: string, o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const r = spawnSync('sh', ['-c', line], { cwd: o.cwd ?? ROOT, env: o.env ?? ENV, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return r;
}

const resumeHint = (stderr: string): string | undefined => /^resume with: (.*)$/m.exec(stderr)?.[1];

describe('finished vs stopped, and resume hints that run as printed', () => {
  it('in the clone: stopped with steps left, the hint says `npx siric` and runs; the resumed run ends under --max-steps and is done', () => {
    const out = path.join(tmp, 'clone');
    const first = siric(['run', TINY, '--no-tui', '--out', out, '--max-steps', '2']);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('stopped: the last checkpoint is in');
    const hint = resumeHint(first.stderr);
    expect(hint).toMatch(/^npx siric run test\/fixtures\/runtime\/tiny\.siri --resume \S+$/);
    // 5 steps are left: --max-steps 5 ends the run at its last step, which is finishing it.
    const second = shell(`${hint!} --no-tui --max-steps 5`);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^done: /m);
    expect(second.stdout).not.toContain('stopped');
    expect(resumeHint(second.stderr)).toBeUndefined();
  });

  it('with this siric first on PATH the hint says `siric`, outside any project `node <path>`: both run as printed', () => {
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(BIN, path.join(bin, 'siric'));
    const onPath = { ...ENV, PATH: `${bin}${path.delimiter}${ENV['PATH'] ?? ''}` };
    const file = path.join(ROOT, TINY);
    const a = siric(['run', file, '--no-tui', '--out', path.join(tmp, 'path'), '--max-steps', '1', '--set', 'rl.lr=2e-3'], { cwd: tmp, env: onPath });
    expect(a.status).toBe(0);
    expect(resumeHint(a.stderr)).toMatch(/^siric run \S+tiny\.siri --set rl\.lr=2e-3 --resume \S+$/);
    const resumed = shell(`${resumeHint(a.stderr)!} --no-tui --max-steps 1`, { cwd: tmp, env: onPath });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('[warmup 2 · 2]');

    // No siric on PATH and no project around the working folder: the exact path of the binary.
    const b = siric(['run', file, '--no-tui', '--out', path.join(tmp, 'bare'), '--max-steps', '1'], { cwd: tmp });
    const hint = resumeHint(b.stderr)!;
    expect(hint).toBe(`node ${BIN} run ${file} --resume ${/--resume (\S+)$/.exec(hint)![1]}`);
  });
});
