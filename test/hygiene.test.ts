// `npm test > file` (and CI): what lands in the file. test/vitest.mjs drops Dawn's harmless
// limit notices (native writes to stderr) and turns colours off when stdout is not a terminal.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');
const PROBE = path.join(ROOT, 'test', 'fixtures', 'hygiene');
// Vite keeps its config cache under the probe's root: leave no trace in the source tree.
afterAll(() => fs.rmSync(path.join(PROBE, 'node_modules'), { recursive: true, force: true }));

it('npm test output to a file: no Dawn limit notices, other stderr lines kept, no colour codes', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', TERM: 'xterm-256color' };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test', 'vitest.mjs'), 'run', '--root', PROBE, '--config', path.join(PROBE, 'vitest.config.mjs')], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  const all = r.stdout + r.stderr;
  expect(r.status, all).toBe(0);
  expect(all).toContain('1 passed');
  expect(all).toContain('Warning: a real Dawn error');
  expect(all).not.toContain('artificially reduced');
  expect(all).not.toMatch(/\x1b\[/);
});
