// The real `siric` binary (bin/siric.js → dist/, so a test that uses it needs a build; `npm test`
// builds first), run as a user would: no colours, CI set, no debug output.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
export const BIN = path.join(ROOT, 'bin', 'siric.js');
/** 3 SFT steps, then 4 GRPO steps: 7 in all, a few seconds on cpu. */
export const TINY = 'test/fixtures/runtime/tiny.siri';

export const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1' };
delete ENV['FORCE_COLOR'];
delete ENV['SIRIC_DEBUG'];

/** Runs `siric ARGS` (from the repo root unless `cwd`), failing the test on a crash of siric. */
export function siric(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: o.cwd ?? ROOT, env: o.env ?? ENV, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  expect(r.stderr).not.toContain('siric failed unexpectedly');
  return r;
}
