// Ctrl-C under a real pseudo-terminal: the first one finishes the step, writes a checkpoint and
// exits 130; `--resume` then continues from the step after it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-pty-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

// Python's pty module drives the terminal (no native Node addon needed): it starts the command on
// a pseudo-terminal, types Ctrl-C once `afterLines` step lines have appeared, and reports what it saw.
const DRIVER = `
import json, os, pty, select, sys, time
args = json.loads(sys.argv[1]); after = int(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)
buf = b''; sent = False; deadline = time.time() + 90
while True:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        buf += data
        if after > 0 and not sent and buf.count(b'[warmup ') >= after:
            os.write(fd, b'\\x03'); sent = True
    if time.time() > deadline:
        os.kill(pid, 9); break
_, status = os.waitpid(pid, 0)
print(json.dumps({'code': os.waitstatus_to_exitcode(status), 'out': buf.decode('utf8', 'replace'), 'sent': sent}))
`;

function underPty(args: string[], afterLines: number): { code: number; out: string; sent: boolean } {
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify([process.execPath, 'bin/siric.js', ...args]), String(afterLines)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '', NO_COLOR: '1' }, timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { code: number; out: string; sent: boolean };
}

// A long SFT stage, so that Ctrl-C lands in the middle of it.
const LONG = ['--set', 'warmup.steps=5000', '--out', out];

it('Ctrl-C finishes the step, keeps a checkpoint, exits 130, and --resume continues from it', { timeout: 180_000 }, () => {
  const first = underPty(['run', 'test/fixtures/runtime/tiny.siri', ...LONG], 5);
  expect(first.sent).toBe(true);
  expect(first.code).toBe(130);
  expect(first.out).toMatch(/stopping after this step and writing a checkpoint/);
  const stoppedAt = Number(/checkpoint interrupted after step (\d+)/.exec(first.out)?.[1]);
  expect(stoppedAt).toBeGreaterThanOrEqual(5);
  // The hint repeats the run's --set overrides: they are part of its pipeline.
  const runDir = /resume with: npx siric run \S+ --set warmup\.steps=5000 --resume (\S+)/.exec(first.out)?.[1];
  expect(runDir).toBeDefined();
  const ckpt = path.resolve(ROOT, runDir!, 'checkpoints', 'interrupted');
  for (const f of ['model.safetensors', 'optimizer.safetensors', 'state.json', 'config.json']) expect(fs.existsSync(path.join(ckpt, f)), f).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(ckpt, 'state.json'), 'utf8')).global_step).toBe(stoppedAt);

  // Resume for two more steps: it starts right after the interrupted one.
  const second = underPty(['run', 'test/fixtures/runtime/tiny.siri', ...LONG, '--resume', runDir!, '--max-steps', '2'], 0);
  expect(second.code).toBe(0);
  const steps = [...second.out.matchAll(/\[warmup (\d+) · (\d+)\]/g)].map((m) => Number(m[2]));
  expect(steps).toEqual([stoppedAt + 1, stoppedAt + 2]);
});
