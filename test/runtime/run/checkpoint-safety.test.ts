// What a kill in the middle of a save, a cut-short file or flipped bytes leave behind is found and
// named on resume, and a run killed between moving the old checkpoint aside and moving the new one
// in resumes from the copy aside. (The kill itself, at each rename, is in test/cli/crash-save.test.ts.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import { execute } from '../../../src/runtime/executor/index.js';
import type { RunEvent } from '../../../src/runtime/types.js';
import { RunError } from '../../../src/runtime/types.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/runtime/', import.meta.url));
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-ckpt-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const ir = compileFile(path.join(FIXTURES, 'tiny.siri'), { mode: 'compile' }).ir!;
const run = async (o: { maxSteps: number; resumeDir?: string }) => {
  const events: RunEvent[] = [];
  const r = await execute({ ir, baseDir: FIXTURES, outDir: out, sink: (e) => events.push(e), ...o });
  return { ...r, events };
};

/** A copy of the base run to break. */
let base: string;
let n = 0;
const copy = (): string => {
  const dir = path.join(out, `copy-${++n}`);
  fs.cpSync(base, dir, { recursive: true });
  return dir;
};
const ckpts = (dir: string): string => path.join(dir, 'checkpoints');
const resumeError = async (dir: string): Promise<RunError> => {
  const e = await run({ maxSteps: 1, resumeDir: dir }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RunError);
  return e as RunError;
};

beforeAll(async () => {
  // 3 SFT steps (warmup-end) and one GRPO step (rl-step-1, the latest).
  base = (await run({ maxSteps: 4 })).runDir;
}, 60_000);

describe('checkpoints on disk', () => {
  it('records a sha256 per file, and an index with each checkpoint\'s stage, step and SIRI label', () => {
    const sums = JSON.parse(fs.readFileSync(path.join(ckpts(base), 'rl-step-1', 'checksums.json'), 'utf8'));
    expect(Object.keys(sums.files)).toEqual(expect.arrayContaining(['model.safetensors', 'optimizer.safetensors', 'state.json', 'config.json', 'tokenizer.json']));
    const index = JSON.parse(fs.readFileSync(path.join(ckpts(base), 'index.json'), 'utf8'));
    expect(index.checkpoints['warmup-end']).toEqual({ stage: 'warmup', step: 3, global_step: 3, siri: null });
    expect(index.checkpoints['rl-step-1']).toEqual({ stage: 'rl', step: 1, global_step: 4, siri: null });
  });

  it('resumes from the old copy when killed between moving it aside and moving the new one in, and removes leftovers', async () => {
    const dir = copy();
    const aside = path.join(ckpts(dir), '.old-rl-step-1-0f8fad5b-d9cb-469f-a165-70867728950e');
    fs.renameSync(path.join(ckpts(dir), 'rl-step-1'), aside);
    const tmp = path.join(ckpts(dir), '.tmp-rl-step-2-7c9e6679-7425-40de-944b-e07fc1f90ae7');
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, 'model.safetensors'), 'half');
    const r = await run({ maxSteps: 1, resumeDir: dir });
    expect(r.events.find((e) => e.type === 'run_start')).toMatchObject({ resumed_from: path.join(ckpts(dir), 'rl-step-1') });
    expect(fs.readdirSync(ckpts(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('resumes from the newest complete checkpoint when killed in the first save before latest.json was written', async () => {
    const dir = copy();
    fs.rmSync(path.join(ckpts(dir), 'latest.json'));
    const r = await run({ maxSteps: 1, resumeDir: dir });
    expect(r.events.find((e) => e.type === 'run_start')).toMatchObject({ resumed_from: path.join(ckpts(dir), 'rl-step-1') });
  }, 60_000);

  it('refuses flipped bytes in the weights, naming the file', async () => {
    const dir = copy();
    const file = path.join(ckpts(dir), 'rl-step-1', 'model.safetensors');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5]! ^= 0x40;
    fs.writeFileSync(file, bytes);
    const e = await resumeError(dir);
    expect(e.code).toBe('R0206');
    expect(e.message).toContain(`${file} is corrupted`);
    expect(e.hint).toContain('the last good checkpoint is warmup-end (step 3)');
  });

  it('names the file and the last good checkpoint for a cut-short latest.json or state.json', async () => {
    const a = copy();
    fs.writeFileSync(path.join(ckpts(a), 'latest.json'), '{"name": "rl-st');
    const e1 = await resumeError(a);
    expect(e1.code).toBe('R0205');
    expect(e1.message).toContain(path.join(ckpts(a), 'latest.json'));
    expect(e1.hint).toContain('the last good checkpoint is rl-step-1 (step 4)');
    expect(e1.hint).toContain(`printf '{"name":"rl-step-1"}\\n' > ${path.join(ckpts(a), 'latest.json')}`);
    const b = copy();
    const state = path.join(ckpts(b), 'rl-step-1', 'state.json');
    fs.writeFileSync(state, fs.readFileSync(state, 'utf8').slice(0, 40));
    const e2 = await resumeError(b);
    expect(e2.message).toContain(state);
    expect(e2.hint).toContain('the last good checkpoint is warmup-end (step 3)');
  });

  it('does not follow a latest.json that names a folder outside checkpoints/', async () => {
    const dir = copy();
    fs.cpSync(path.join(ckpts(dir), 'rl-step-1'), path.join(dir, 'x'), { recursive: true });
    fs.writeFileSync(path.join(ckpts(dir), 'latest.json'), '{"name": "../x"}');
    const e = await resumeError(dir);
    expect(e.code).toBe('R0207');
    expect(e.message).toContain('"../x"');
  });
});
