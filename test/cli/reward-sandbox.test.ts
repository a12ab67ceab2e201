// User reward code that misbehaves, through the real `siric run` binary: it never hangs the run,
// never ends it with a false exit 0, names the module and its line, and leaves the last good
// checkpoint intact. Stand-in modules and a tiny SFT + GRPO pipeline are written to a temp folder.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'siric.js');
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1' };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-reward-e2e-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const MODULES: Record<string, string> = {
  'loop.mjs': 'export default function () {\n  for (;;) {}\n}\n',
  'never.mjs': 'export default function () {\n  return new Promise(() => {});\n}\n',
  'exit.mjs': 'export default function () {\n  process.exit(0);\n}\n',
  'throws.ts': 'export default function (x: { response: string }): number {\n  throw new Error(`no verifier for a ${x.response.length}-character response`);\n}\n',
};
for (const [name, text] of Object.entries(MODULES)) fs.writeFileSync(path.join(dir, name), text);

/** One SFT step (checkpoint `warmup-end`), then GRPO steps scored by the module alone (on every response, cut off or not). */
function pipeline(name: string, module: string, timeout?: number): string {
  const file = path.join(dir, `${name}.siri`);
  fs.writeFileSync(
    file,
    `import "std/presets"
import "std/tasks"

pipeline ${name} {
  seed = 1
  backend = cpu
  out = "runs"
}

model policy {
  source = scratch(layers = 1, d_model = 16, heads = 2, context = 64 tokens)
  tokenizer = chars
}

dataset arith = tasks.arithmetic(operands = 2..2, digits = 1..1, train_size = 16 rows, eval_size = 2 rows)

reward mine {
  kind = custom
  module = "${module}"${timeout === undefined ? '' : `\n  timeout_s = ${timeout}`}
  truncated = score
}

train warmup = presets.sft_warmup with {
  policy = policy
  data = arith
  steps = 1 steps
  batch = 2 prompts
  max_tokens = 24 tokens
}

train rl = presets.dapo with {
  after = warmup
  policy = policy
  data = arith
  rewards = [mine]
  max_tokens = 8 tokens
  steps = 2 steps
  group = 2 responses
  batch = 1 prompts
  mini_batch = 1 prompts
  dynamic_sampling = off
  checkpoint = { every = 1 steps }
}
`,
  );
  return file;
}

function run(file: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'run', file], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The run's only checkpoint is the warm-up's, complete and readable. */
function expectOnlyWarmupCheckpoint(name: string): void {
  const runs = path.join(dir, 'runs', name);
  const [id] = fs.readdirSync(runs);
  const ckpts = path.join(runs, id!, 'checkpoints');
  expect(fs.readdirSync(ckpts).filter((f) => fs.statSync(path.join(ckpts, f)).isDirectory())).toEqual(['warmup-end']);
  for (const f of ['model.safetensors', 'optimizer.safetensors', 'state.json', 'config.json']) expect(fs.existsSync(path.join(ckpts, 'warmup-end', f)), f).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(ckpts, 'warmup-end', 'state.json'), 'utf8')).global_step).toBe(1);
}

it('a reward that calls process.exit(0) fails the run (not exit 0), naming the module and line', { timeout: 60_000 }, () => {
  const r = run(pipeline('exits', 'exit.mjs'));
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('error[R0301]: reward `mine` failed on 2 of its last 2 calls (more than its max_failure_rate, 50 %); the first failure: called process.exit(0) (a reward must return a score, not end the process)');
  expect(r.stderr).toMatch(/\(at \S*exit\.mjs:2:11\)/);
  expect(r.stderr).toContain('the run\'s last checkpoint is from before this step');
  expectOnlyWarmupCheckpoint('exits');
});

it('a reward whose promise never resolves times out and fails the run with a message', { timeout: 60_000 }, () => {
  const r = run(pipeline('never', 'never.mjs', 0.2));
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('error[R0301]: reward `mine` failed on 2 of its last 2 calls');
  expect(r.stderr).toContain('the first failure: timed out after 0.2 s (a loop, or a promise that never settles?)');
  expectOnlyWarmupCheckpoint('never');
});

it('a .ts reward that always throws stops the run with the first error and its line in the .ts file', { timeout: 60_000 }, () => {
  const r = run(pipeline('throws', 'throws.ts'));
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/error\[R0301\]: reward `mine` failed on 2 of its last 2 calls .*the first failure: no verifier for a \d+-character response \(at \S*throws\.ts:2:9\)/);
  expectOnlyWarmupCheckpoint('throws');
});

it('Ctrl-C reaches the run while a reward loops forever: a second one stops it at once, the checkpoint intact', { timeout: 60_000 }, async () => {
  const file = pipeline('loops', 'loop.mjs', 600);
  const child = spawn(process.execPath, [BIN, 'run', file], { cwd: dir, env: ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = async (f: () => boolean, what: string): Promise<void> => {
    for (const t0 = Date.now(); !f(); await new Promise((r) => setTimeout(r, 50))) if (Date.now() - t0 > 40_000) throw new Error(`waited for ${what}; stdout: ${stdout}; stderr: ${stderr}`);
  };
  await until(() => stdout.includes('checkpoint warmup-end'), 'the warm-up checkpoint');
  await new Promise((r) => setTimeout(r, 1000)); // the GRPO step is now inside the looping reward
  child.kill('SIGINT');
  await until(() => stderr.includes('stopping after this step'), 'the first Ctrl-C to be heard');
  const t0 = Date.now();
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(Date.now() - t0).toBeLessThan(5000);
  expectOnlyWarmupCheckpoint('loops');
});
