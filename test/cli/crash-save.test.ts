// A save is safe against a kill at any instant: the real `siric` is killed (SIGKILL, by strace's
// fault injection, so at exactly the Nth call) at the renames of a checkpoint save and in the middle
// of removing the copy it replaces; resuming the run then gives checkpoints and metrics bit-identical to a
// run that was never interrupted.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../src/compiler.js';
import { execute } from '../../src/runtime/executor/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/runtime');
const PIPELINE = path.join(FIXTURES, 'tiny.siri');
const hasStrace = spawnSync('sh', ['-c', 'command -v strace'], { encoding: 'utf8' }).status === 0;
if (!hasStrace) console.log('crash-save: skipped, strace is not installed (apt-get install strace)');

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-crash-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
const ir = compileFile(PIPELINE, { mode: 'compile' }).ir!;
const run = (o: { maxSteps: number; resumeDir?: string }) => execute({ ir, baseDir: FIXTURES, outDir: out, sink: () => {}, ...o });

/** metrics.jsonl without the fields that measure time. */
const metrics = (dir: string): unknown[] =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { time_s: _t, tokens_per_s: _s, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
const checkpoint = (dir: string, name: string): Record<string, string> => Object.fromEntries(['model.safetensors', 'optimizer.safetensors', 'state.json'].map((f) => [f, fs.readFileSync(path.join(dir, 'checkpoints', name, f)).toString('base64')]));

let reference: string;
let stoppedAtOne: string;
beforeAll(async () => {
  if (!hasStrace) return;
  reference = (await run({ maxSteps: 3 })).runDir; // never interrupted: 3 SFT steps, warmup-end
  stoppedAtOne = (await run({ maxSteps: 1 })).runDir; // stopped after step 1: `interrupted`
}, 60_000);

// The save at step 2 replaces `interrupted` with 7 renames: 3 of its files into .tmp-* (renames 2
// and 3 leave what 1 leaves, a partial .tmp-* and the old copy untouched, so only 1 is run here),
// then moving the old copy aside (4), the new one in (5), latest.json (6) and index.json (7);
// unlink 1 is in the middle of removing the old copy.
const KILLS = [...[1, 4, 5, 6, 7].map((n) => ['rename', n] as const), ['unlink', 1] as const];

describe.skipIf(!hasStrace)('a kill in the middle of a checkpoint save', () => {
  it.each(KILLS)('at %s number %i loses nothing: resuming gives the uninterrupted run', async (call, n) => {
    const dir = path.join(out, `kill-${call}-${n}`);
    fs.cpSync(stoppedAtOne, dir, { recursive: true });
    const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${call}`, '-e', `inject=${call}:signal=SIGKILL:when=${n}`, process.execPath, 'bin/siric.js', 'run', PIPELINE, '--resume', dir, '--max-steps', '1'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1', NO_COLOR: '1' }, timeout: 60_000 });
    // strace ends the way its tracee did: killed, before the save finished.
    expect(r.signal ?? r.status, r.stderr).toSatisfy((s: unknown) => s === 'SIGKILL' || s === 137);
    // Resumed from whichever checkpoint survived (step 1 or 2), on to warmup-end at step 3.
    await run({ maxSteps: 2, resumeDir: dir });
    expect(checkpoint(dir, 'warmup-end')).toEqual(checkpoint(reference, 'warmup-end'));
    expect(metrics(dir).slice(0, metrics(reference).length)).toEqual(metrics(reference));
    expect(fs.readdirSync(path.join(dir, 'checkpoints')).filter((f) => f.startsWith('.') || f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});
