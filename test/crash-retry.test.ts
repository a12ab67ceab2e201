// test/vitest.mjs gives a test file whose worker dies (a native crash, as Dawn on Mesa once did in
// CI) one more run, and only that: a file that crashes again still fails the run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');
const PROBE = path.join(ROOT, 'test', 'fixtures', 'crash-retry');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-crash-retry-'));
afterAll(() => {
  fs.rmSync(path.join(PROBE, 'node_modules'), { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

function probe(extra: NodeJS.ProcessEnv): { status: number | null; all: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', ...extra };
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test', 'vitest.mjs'), 'run', '--root', PROBE, '--config', path.join(PROBE, 'vitest.config.mjs')], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, all: r.stdout + r.stderr };
}

it('reruns, once, the file whose worker died, and passes when the second run does', () => {
  const r = probe({ CRASH_MARKER: path.join(tmp, 'crashed-once') });
  expect(r.all).toContain('Worker exited unexpectedly');
  expect(r.all).toContain('note: a test worker exited unexpectedly (a crash, not a failed test) in test/fixtures/crash-retry/crash.fixture.mjs; running that file once more');
  expect(r.all.match(/running that file once more/g)).toHaveLength(1);
  expect(r.status, r.all).toBe(0);
});

it('still fails when the file crashes again', () => {
  const r = probe({ CRASH_ALWAYS: '1' });
  expect(r.all).toContain('running that file once more');
  expect(r.status, r.all).not.toBe(0);
});
