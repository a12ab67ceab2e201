// `siric sweep`, `siric compare` and `siric eval` end to end, through the real binary, on two tiny
// schedule variants (test/fixtures/experiment): runs per seed, aggregation over seeds checked
// against the runs' own metrics, a corrupt and an incomplete run directory, checkpoint evals that
// reproduce the run's own final eval.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeeds } from '../../src/cli/sweep.js';
import { compareRuns, findRunDirs, pairedDeltas, planeSpec, stat, type Comparison } from '../../src/report/compare.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const BIN = path.join(ROOT, 'bin', 'siric.js');
const FIX = path.join(ROOT, 'test', 'fixtures', 'experiment');
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1' };

function siric(args: string[], cwd = ROOT): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: ENV, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  expect(r.stderr).not.toMatch(/^ {4}at /m);
  expect(r.stderr).not.toContain('siric failed unexpectedly');
  return r;
}

interface EvalRow {
  type: string;
  eval: string;
  step: number;
  accuracy: number;
  response_len_mean: number;
}
const evalRows = (dir: string): EvalRow[] =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EvalRow)
    .filter((r) => r.type === 'eval');

let tmp: string;
let out: string;
let sweep: { runs: { pipeline: string; seed: number; status: string; run_dir: string }[] };
let sweepStdout = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-exp-'));
  out = path.join(tmp, 'runs');
  const r = siric(['sweep', path.join(FIX, 'fixed.siri'), path.join(FIX, 'cycles.siri'), '--seeds', '1,2', '--jobs', '2', '--out', out]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  sweepStdout = r.stdout;
  const files = fs.readdirSync(out).filter((f) => /^sweep-.*\.json$/.test(f));
  expect(files).toHaveLength(1);
  sweep = JSON.parse(fs.readFileSync(path.join(out, files[0]!), 'utf8')) as typeof sweep;
}, 180_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('siric sweep', () => {
  it('runs every pipeline once per seed, seed-major, one run directory each', () => {
    expect(sweep.runs.map((r) => `${r.pipeline}/${r.seed}/${r.status}`)).toEqual(['fixed/1/done', 'cycles/1/done', 'fixed/2/done', 'cycles/2/done']);
    expect(new Set(sweep.runs.map((r) => r.run_dir)).size).toBe(4);
    for (const r of sweep.runs) {
      const manifest = JSON.parse(fs.readFileSync(path.join(r.run_dir, 'manifest.json'), 'utf8')) as { seed: number; overrides: { path: string; value: string }[] };
      expect(manifest.seed).toBe(r.seed);
      expect(manifest.overrides).toEqual([{ path: 'pipeline.seed', value: String(r.seed) }]);
      expect(fs.existsSync(path.join(r.run_dir, 'checkpoints', 'rl-end', 'model.safetensors'))).toBe(true);
    }
    // Progress as it happens: stages, a step line about every tenth of the run, every eval.
    expect(sweepStdout).toContain('siric sweep: 2 pipelines × 2 seeds = 4 runs, 2 at a time');
    expect(sweepStdout).toContain('[cycles seed 2] stage warmup: sft, 80 steps');
    expect(sweepStdout).toMatch(/\[fixed seed 1\] step 81\/84: reward \d\.\d\d, \d+\.\d tokens \(budget 24\)/);
    expect(sweepStdout).toMatch(/\[cycles seed 1\] eval greedy at step 84\/84: accuracy \d+\.\d%/);
    expect(sweepStdout).toContain('4 of 4 runs finished');
    // Different seeds train differently.
    const [a, b] = [sweep.runs[0]!, sweep.runs[2]!].map((r) => fs.readFileSync(path.join(r.run_dir, 'checkpoints', 'rl-end', 'model.safetensors')));
    expect(a!.equals(b!)).toBe(false);
  });

  it('compiles every file first: one bad file and no run starts', () => {
    const bad = path.join(tmp, 'bad.siri');
    fs.writeFileSync(bad, fs.readFileSync(path.join(FIX, 'fixed.siri'), 'utf8').replace('seed = 1', 'seed = "one"').replace('"shared.siri"', `"${path.join(FIX, 'shared.siri')}"`));
    const badOut = path.join(tmp, 'bad-runs');
    const r = siric(['sweep', path.join(FIX, 'cycles.siri'), bad, '--seeds', '1', '--out', badOut]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.siri:\d+:\d+/);
    expect(r.stderr).toContain('the sweep did not start');
    expect(fs.existsSync(badOut)).toBe(false);
  });

  it('a run that fails is reported with its error; the other runs still go; exit 1', () => {
    const file = path.join(tmp, 'missing-data.siri');
    fs.writeFileSync(
      file,
      [
        'import "std/presets"',
        'pipeline missing_data {\n  seed = 1\n  backend = wasm\n}',
        'model policy {\n  source = scratch(layers = 1, d_model = 16, heads = 2, context = 64 tokens)\n  tokenizer = chars\n}',
        // Holding out more rows than the file has is found only when the run loads the data.
        'dataset qa {\n  source = jsonl("two-rows.jsonl")\n  prompt = "{question}"\n  answer = "{answer}"\n  response = "{answer}"\n  holdout = 5 rows\n}',
        'train warmup = presets.sft_warmup with {\n  policy = policy\n  data = qa\n  steps = 2 steps\n  warmup = 0 steps\n  batch = 2 prompts\n  max_tokens = 8 tokens\n}',
      ].join('\n\n') + '\n',
    );
    const failOut = path.join(tmp, 'fail-runs');
    // A missing data file stops the sweep before any run starts.
    const before = siric(['sweep', file, path.join(FIX, 'fixed.siri'), '--seeds', '1', '--out', failOut]);
    expect(before.status).toBe(1);
    expect(before.stderr).toContain('error[E0501]: the data file `two-rows.jsonl` of the dataset `qa` does not exist');
    expect(before.stderr).toContain('the sweep did not start');
    fs.writeFileSync(path.join(tmp, 'two-rows.jsonl'), '{"question": "1+1", "answer": "2"}\n{"question": "2+2", "answer": "4"}\n');
    const r = siric(['sweep', file, path.join(FIX, 'fixed.siri'), '--seeds', '1', '--out', failOut]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\[missing_data seed 1\] failed in \d+m\d+s: error(\[R\d+\])?: dataset `qa`: holdout = 5 rows leaves nothing to train on/);
    expect(r.stdout).toContain('2 of 2 runs finished');
    expect(r.stdout).toMatch(/1 done, 0 stopped, 1 failed/);
  });

  it('--fork-at: the other pipelines start from the first one\'s warm-up and end exactly as from scratch', () => {
    const forkOut = path.join(tmp, 'fork-runs');
    const r = siric(['sweep', path.join(FIX, 'fixed.siri'), path.join(FIX, 'cycles.siri'), '--seeds', '1,2', '--jobs', '2', '--fork-at', 'warmup-end', '--out', forkOut]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[fixed seed 1] checkpoint warmup-end: the other pipelines of seed 1 start from it');
    const file = fs.readdirSync(forkOut).find((f) => f.startsWith('sweep-'))!;
    const forked = JSON.parse(fs.readFileSync(path.join(forkOut, file), 'utf8')) as { fork_at: string; runs: { pipeline: string; seed: number; status: string; run_dir: string; started_from?: string }[] };
    expect(forked.fork_at).toBe('warmup-end');
    const noTime = (dir: string): unknown[] =>
      fs
        .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const { time_s: _t, tokens_per_s: _s, ...rest } = JSON.parse(l) as Record<string, unknown>;
          return rest;
        });
    for (const run of forked.runs) {
      expect(run.status).toBe('done');
      const trunk = forked.runs.find((x) => x.pipeline === 'fixed' && x.seed === run.seed)!;
      if (run.pipeline === 'cycles') expect(run.started_from).toBe(path.join(trunk.run_dir, 'checkpoints', 'warmup-end'));
      else expect(run.started_from).toBeUndefined();
      const scratch = sweep.runs.find((x) => x.pipeline === run.pipeline && x.seed === run.seed)!;
      expect(noTime(run.run_dir)).toEqual(noTime(scratch.run_dir));
    }
    const bad = siric(['sweep', path.join(FIX, 'fixed.siri'), path.join(FIX, 'cycles.siri'), '--seeds', '1', '--fork-at', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--fork-at: .*fixed\.siri writes no checkpoint `nope`; it writes warmup-end, /);
  });

  it('--fork-at refuses before training when a variant could not start from the checkpoint', () => {
    // The same shared file imported from another folder: its stages get other names (ids).
    const dir = path.join(tmp, 'fork-refused');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    for (const f of ['fixed.siri', 'shared.siri']) fs.copyFileSync(path.join(FIX, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'sub', 'cycles.siri'), fs.readFileSync(path.join(FIX, 'cycles.siri'), 'utf8').replace('import "shared.siri"', 'import "../shared.siri"'));
    // A second variant in the folder of the first can: only the other folder's is refused.
    fs.writeFileSync(path.join(dir, 'lr.siri'), fs.readFileSync(path.join(FIX, 'cycles.siri'), 'utf8').replace('pipeline cycles', 'pipeline lr'));
    const out = path.join(dir, 'runs');
    const r = siric(['sweep', path.join(dir, 'fixed.siri'), path.join(dir, 'sub', 'cycles.siri'), path.join(dir, 'lr.siri'), '--seeds', '1', '--fork-at', 'warmup-end', '--out', out]);
    expect(r.stderr).toContain('sub/cycles.siri cannot start from');
    expect(r.stderr).toContain('this pipeline has no stage `shared.warmup`, where the checkpoint was taken');
    expect(r.stderr).toContain('the stage is `shared.warmup` there and `../shared.warmup` here');
    expect(r.stderr).toContain('keep the variants in one folder');
    expect(r.stderr).toContain('error: the sweep did not start');
    expect(r.stderr).not.toContain('lr.siri cannot start');
    expect(r.status).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('rejects seeds that are not distinct whole numbers, and a --set of the seed', () => {
    expect(parseSeeds('1,2,3')).toEqual([1, 2, 3]);
    expect(parseSeeds('1-3,7')).toEqual([1, 2, 3, 7]);
    for (const bad of ['', '1,1', 'a', '3-1', '1.5']) expect(parseSeeds(bad)).toBeUndefined();
    const r = siric(['sweep', path.join(FIX, 'fixed.siri'), '--seeds', '1,1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('expected seeds');
    const s = siric(['sweep', path.join(FIX, 'fixed.siri'), '--seeds', '1', '--set', 'pipeline.seed=4']);
    expect(s.status).toBe(2);
    expect(s.stderr).toContain('--seeds');
  });
});

describe('siric compare', () => {
  it('groups runs by variant and aggregates each eval point as mean ± std over seeds', () => {
    const r = siric(['compare', out, '--json']);
    expect(r.status).toBe(0);
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.problems).toEqual([]);
    expect(c.variants.map((v) => v.name).sort()).toEqual(['cycles', 'fixed']);
    for (const v of c.variants) expect(v.seeds).toEqual([1, 2]);
    for (const v of c.variants) {
      expect(v.columns).toEqual(['greedy', 'mean@2']);
      const runs = sweep.runs.filter((s) => s.pipeline === v.name);
      const rows = runs.map((s) => evalRows(s.run_dir));
      // Steps 82 and 84 (every 2 RL steps after 80 SFT steps); each cell from the runs' own rows.
      expect(v.points.map((p) => p.step)).toEqual([82, 84]);
      for (const p of v.points) {
        for (const [col, name] of [['greedy', 'greedy'], ['mean@2', 'sampled']] as const) {
          const xs = rows.map((rs) => rs.find((e) => e.step === p.step && e.eval === name)!);
          const acc = stat(xs.map((x) => x.accuracy));
          const tok = stat(xs.map((x) => x.response_len_mean));
          expect(p.cells[col]!.accuracy.mean).toBeCloseTo(acc.mean, 12);
          expect(p.cells[col]!.tokens.mean).toBeCloseTo(tok.mean, 12);
          expect(p.cells[col]!.tokens.std).toBeCloseTo(tok.std, 12);
          expect(p.cells[col]!.accuracy.n).toBe(2);
        }
      }
      expect(v.points.at(-1)!.when).toBe('end');
    }
    // Training-time length: the mean sampled length over the last (up to) 10 RL steps of each run.
    for (const v of c.variants) {
      for (const run of v.runs) {
        const rl = fs.readFileSync(path.join(run.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; algorithm?: string; response_len_mean: number }).filter((x) => x.type === 'train' && x.algorithm === 'grpo').slice(-10);
        expect(rl).toHaveLength(4);
        expect(run.rl_len_last10).toBeCloseTo(stat(rl.map((x) => x.response_len_mean)).mean, 12);
      }
    }
    // The SIRI variant's first eval point is the end of its compression phase.
    expect(c.variants.find((v) => v.name === 'cycles')!.points[0]!.when).toBe('compress-1 end');
  });

  it('prints a table per variant and a final side-by-side table', () => {
    const r = siric(['compare', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('fixed — 2 runs (seeds 1, 2)');
    expect(r.stdout).toContain('cycles — 2 runs (seeds 1, 2)');
    expect(r.stdout).toMatch(/greedy acc %.*greedy tokens.*mean@2 acc %/);
    expect(r.stdout).toContain('At the last eval point');
    const md = siric(['compare', out, '--markdown']);
    expect(md.stdout).toMatch(/^\| after step \| when \|/m);
  });

  it('a corrupt and an incomplete run directory are named; the other runs are still compared', () => {
    const broken = path.join(tmp, 'broken');
    fs.mkdirSync(broken);
    // Corrupt: a copy of a run whose manifest is cut off mid-file.
    const corrupt = path.join(broken, 'corrupt');
    fs.cpSync(sweep.runs[0]!.run_dir, corrupt, { recursive: true });
    fs.writeFileSync(path.join(corrupt, 'manifest.json'), '{"ir": {"nodes": [');
    // Incomplete: a copy of a run that died after its first eval point, with a torn last line.
    const partial = path.join(broken, 'partial');
    fs.cpSync(sweep.runs[1]!.run_dir, partial, { recursive: true });
    const lines = fs.readFileSync(path.join(partial, 'metrics.jsonl'), 'utf8').split('\n');
    const cut = lines.findIndex((l) => l.includes('"type":"eval"') && l.includes('"step":84'));
    fs.writeFileSync(path.join(partial, 'metrics.jsonl'), lines.slice(0, cut).join('\n') + '\n{"type":"tra');
    const r = siric(['compare', out, broken, path.join(tmp, 'nowhere'), '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`corrupt: ${path.join(corrupt, 'manifest.json')}: the manifest is not valid JSON`);
    expect(r.stderr).toMatch(/partial: incomplete: 2 of 4 eval points/);
    expect(r.stderr).toMatch(/partial: skipped 1 unreadable line/);
    expect(r.stderr).toMatch(/nowhere: no such directory/);
    const c = JSON.parse(r.stdout) as Comparison;
    // The incomplete copy joins its variant (3 runs at step 82, 2 at step 84); the corrupt one is out.
    const cycles = c.variants.find((v) => v.name === 'cycles')!;
    expect(cycles.points.find((p) => p.step === 82)!.cells['greedy']!.accuracy.n).toBe(3);
    expect(cycles.points.find((p) => p.step === 84)!.cells['greedy']!.accuracy.n).toBe(2);
    expect(c.variants.find((v) => v.name === 'fixed')!.runs).toHaveLength(2);
  });

  it('warns when variants measured an eval column differently (another budget): not comparable', () => {
    const other = path.join(tmp, 'other-budget');
    const run = siric(['run', path.join(FIX, 'fixed.siri'), '--set', 'greedy.max_tokens=16', '--out', other, '--no-tui']);
    expect(run.status).toBe(0);
    const r = siric(['compare', out, other, '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: \(greedy evals\): not measured the same way across runs, so not comparable: .*16 tokens.*24 tokens|24 tokens.*16 tokens/);
    expect(r.stderr).not.toContain('(mean@2 evals)');
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.variants.map((v) => v.name)).toContain('fixed greedy.max_tokens=16');
  });

  it('nothing readable: exit 1 with the reasons', () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const r = siric(['compare', empty]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no run directories here');
    expect(r.stderr).toContain('error: no readable run directories to compare');
  });

  it('--out writes the charts (SVG), compare.md and compare.json', () => {
    const dir = path.join(tmp, 'cmp');
    const r = siric(['compare', out, '--out', dir]);
    expect(r.status).toBe(0);
    for (const f of ['compare.json', 'compare.md', 'accuracy-tokens-greedy.svg', 'over-steps-greedy.svg', 'accuracy-tokens-mean2.svg']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const svg = fs.readFileSync(path.join(dir, 'accuracy-tokens-greedy.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('cycles');
  });

  it('--baseline: each variant minus the baseline at the last shared point, paired by seed', () => {
    const ds = pairedDeltas(compareRuns([out]), 'fixed');
    if (typeof ds === 'string') throw new Error(ds);
    const greedy = ds.find((d) => d.variant === 'cycles' && d.column === 'greedy')!;
    expect(greedy.step).toBe(84);
    expect(greedy.seeds).toEqual([1, 2]);
    const last = (pipeline: string, seed: number): EvalRow => evalRows(sweep.runs.find((r) => r.pipeline === pipeline && r.seed === seed)!.run_dir).find((e) => e.step === 84 && e.eval === 'greedy')!;
    const diffs = [1, 2].map((seed) => last('cycles', seed).response_len_mean - last('fixed', seed).response_len_mean);
    expect(greedy.tokens.mean).toBeCloseTo(stat(diffs).mean, 12);
    expect(greedy.tokens.std).toBeCloseTo(stat(diffs).std, 12);
    const r = siric(['compare', out, '--baseline', 'fixed']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Against fixed, paired by seed');
    expect(r.stdout).toMatch(/cycles\s+greedy\s+84\s+1,2/);
    const bad = siric(['compare', out, '--baseline', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('no variant named `nope`; the variants are:');
  });

  it('--spread se: ± the standard error (std / √n) in every table, said once at the top', () => {
    const c = compareRuns([out]);
    const cell = c.variants[0]!.points[0]!.cells['greedy']!;
    expect(cell.accuracy.se).toBeCloseTo(cell.accuracy.std / Math.sqrt(2), 12);
    const se = siric(['compare', out, '--spread', 'se', '--baseline', 'fixed']);
    expect(se.status).toBe(0);
    expect(se.stdout.startsWith('mean ± standard error (s.e.) over seeds')).toBe(true);
    expect(se.stdout).toContain('(mean ± s.e. of the per-seed differences)');
    const std = siric(['compare', out, '--baseline', 'fixed']);
    expect(std.stdout).toContain('(mean ± std of the per-seed differences)');
    // Where the two runs differ, the s.e. shown is the std over √2: the tables do differ.
    const spread = cell.tokens.std > 0 ? cell.tokens : cell.accuracy;
    if (spread.std > 0) expect(se.stdout).not.toBe(std.stdout);
    const bad = siric(['compare', out, '--spread', 'sem']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--spread takes `std`');
  });

  it('marks SIRI-low and SIRI-high points, and puts every run on the accuracy-tokens plane', () => {
    const c = compareRuns([out]);
    const cycles = c.variants.find((v) => v.name === 'cycles')!;
    expect(cycles.points[0]!.siri).toBe('low');
    expect(c.variants.find((v) => v.name === 'fixed')!.points.every((p) => p.siri === undefined)).toBe(true);
    expect(siric(['compare', out]).stdout).toContain('compress-1 end (SIRI-low)');
    const dir = path.join(tmp, 'cmp-se');
    expect(siric(['compare', out, '--spread', 'se', '--out', dir]).status).toBe(0);
    const svg = fs.readFileSync(path.join(dir, 'accuracy-tokens-greedy.svg'), 'utf8');
    expect(svg).toContain('mean ± s.e. over seeds');
    // One ring per run per eval point: 2 variants × 2 seeds × 2 points.
    const spec = planeSpec(c, 'greedy', 'se') as unknown as { layer: { data: { values: { seed?: number }[] } }[] };
    expect(spec.layer[0]!.data.values).toHaveLength(8);
    expect(new Set(spec.layer[0]!.data.values.map((v) => v.seed))).toEqual(new Set([1, 2]));
    // The SIRI points are labelled on the plane (L/H), the fixed budget's are not.
    const labels = spec.layer[spec.layer.length - 1]!.data.values as unknown as { variant: string; siri: string }[];
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.every((l) => l.variant === 'cycles' && (l.siri === 'L' || l.siri === 'H'))).toBe(true);
    expect(svg).toContain('SIRI-low / SIRI-high points');
  });

  it('findRunDirs finds runs below a folder and skips checkpoints', () => {
    const { dirs, problems } = findRunDirs([out]);
    expect(problems).toEqual([]);
    expect(dirs.sort()).toEqual(sweep.runs.map((r) => r.run_dir).sort());
  });
});

describe('siric eval', () => {
  it("greedy pass@1 on the run's own eval data reproduces the run's final eval exactly", () => {
    const run = sweep.runs[1]!;
    const r = siric(['eval', path.join(run.run_dir, 'checkpoints', 'rl-end'), '--data', 'arith', '--samples', '3', '--json', '--backend', 'wasm']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout) as { max_tokens: number; greedy: EvalRow & { n: number }; sampled: EvalRow & { samples: number; n: number } };
    const last = evalRows(run.run_dir).filter((e) => e.eval === 'greedy').at(-1)!;
    expect(res.max_tokens).toBe(24);
    expect(res.greedy.n).toBe(6);
    expect(res.greedy.accuracy).toBe(last.accuracy);
    expect(res.greedy.response_len_mean).toBe(last.response_len_mean);
    // Not a degenerate match: some responses end (EOS) before the budget.
    expect(last.response_len_mean).toBeLessThan(24);
    expect(res.sampled.samples).toBe(3);
  });

  it('--rows writes every judged response; they add up to the reported accuracy and tokens', () => {
    const run = sweep.runs[1]!;
    const file = path.join(tmp, 'rows', 'eval-rows.jsonl');
    const r = siric(['eval', path.join(run.run_dir, 'checkpoints', 'rl-end'), '--data', 'arith', '--samples', '2', '--rows', file, '--json', '--backend', 'wasm']);
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout) as { greedy: EvalRow & { n: number }; sampled: EvalRow & { n: number } };
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { index: number; sample: number; mode: string; prompt: string; answer: string; response: string; tokens: number; correct: boolean });
    const greedy = rows.filter((x) => x.mode === 'greedy');
    const sampled = rows.filter((x) => x.mode === 'sample');
    expect(greedy.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sampled).toHaveLength(12);
    expect(sampled.filter((x) => x.index === 5).map((x) => x.sample)).toEqual([0, 1]);
    expect(greedy.filter((x) => x.correct).length / greedy.length).toBe(res.greedy.accuracy);
    expect(greedy.reduce((a, x) => a + x.tokens, 0) / greedy.length).toBeCloseTo(res.greedy.response_len_mean, 12);
    expect(sampled.filter((x) => x.correct).length / sampled.length).toBe(res.sampled.accuracy);
    expect(greedy[0]!.prompt.length).toBeGreaterThan(0);
    expect(typeof greedy[0]!.answer).toBe('string');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['eval-rows.jsonl']);
  });

  it('--pipeline names where the dataset is; a human table by default', () => {
    const run = sweep.runs[0]!;
    const r = siric(['eval', path.join(run.run_dir, 'checkpoints', 'rl-end'), '--pipeline', path.join(FIX, 'fixed.siri'), '--data', 'arith', '--split', 'train', '--limit', '4', '--max-tokens', '16', '--backend', 'wasm']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/arith \(train split, 4 problems, up to 16 new tokens\)/);
    expect(r.stdout).toMatch(/greedy pass@1\s+\d+\.\d %\s+\d+\.\d tokens/);
  });

  it('mistakes get one clear error: unknown dataset, not a checkpoint, missing folder', () => {
    const ckpt = path.join(sweep.runs[0]!.run_dir, 'checkpoints', 'rl-end');
    const a = siric(['eval', ckpt, '--data', 'nope', '--backend', 'wasm']);
    expect(a.status).toBe(1);
    expect(a.stderr).toContain('no dataset `nope` in the pipeline');
    expect(a.stderr).toContain('arith');
    const b = siric(['eval', tmp, '--data', 'arith', '--pipeline', path.join(FIX, 'fixed.siri'), '--backend', 'wasm']);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/is not a checkpoint: no config\.json/);
    const c = siric(['eval', path.join(tmp, 'missing'), '--data', 'arith']);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain('checkpoint not found');
    const d = siric(['eval', tmp, '--data', 'arith']);
    expect(d.status).toBe(1);
    expect(d.stderr).toContain('--pipeline');
  });
});

describe('examples/experiments', () => {
  const dir = path.join(ROOT, 'examples', 'experiments');
  const variants = fs.readdirSync(dir).filter((f) => f.endsWith('.siri'));

  it('four variants that check clean and are in canonical form', () => {
    expect(variants.sort()).toEqual(['fixed-long.siri', 'fixed-short.siri', 'linear-decay.siri', 'siri.siri']);
    const files = [...variants.map((f) => path.join(dir, f)), path.join(dir, 'shared', 'base.siri')];
    const r = siric(['check', ...files]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(siric(['fmt', '--check', ...files]).status).toBe(0);
  });

  it('differ only in the RL budget: same steps, rollouts and evals', () => {
    const irs = variants.map((f) => JSON.parse(siric(['compile', path.join(dir, f)]).stdout) as { nodes: Record<string, unknown>[] });
    const strip = (ir: (typeof irs)[number]): unknown =>
      ir.nodes
        .filter((n) => n['type'] !== 'schedule')
        .map((n) => {
          if (n['type'] !== 'train') return n;
          const { budget, checkpoints: _c, ...rest } = n as { budget: { by_step: number[] }; checkpoints: unknown };
          return { ...rest, steps_in_budget: budget.by_step.length };
        });
    const first = strip(irs[0]!);
    for (const ir of irs.slice(1)) expect(strip(ir)).toEqual(first);
    const budgets = irs.map((ir) => (ir.nodes.find((n) => n['id'] === 'train.rl') as { budget: { by_step: number[] } }).budget.by_step);
    expect(new Set(budgets.map((b) => b.length))).toEqual(new Set([120]));
    expect(new Set(budgets.map((b) => JSON.stringify(b))).size).toBe(4);
  });
});

describe('examples/testbed', () => {
  const dir = path.join(ROOT, 'examples', 'testbed');
  const main = ['fixed-long.siri', 'fixed-short.siri', 'linear-decay.siri', 'siri.siri'];
  const knobs = fs.readdirSync(dir).filter((f) => f.endsWith('.siri') && !main.includes(f)).sort();
  const all = [...main, ...knobs].map((f) => path.join(dir, f));

  it('the four schedules and six knob variants check clean and are in canonical form', () => {
    for (const f of main) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(knobs).toEqual(['fixed-48.siri', 'siri-high128.siri', 'siri-low32.siri', 'siri-low64.siri', 'siri-phase20.siri', 'siri-phase5.siri']);
    const files = [...all, path.join(dir, 'shared', 'base.siri')];
    const r = siric(['check', ...files]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(siric(['fmt', '--check', ...files]).status).toBe(0);
  });

  it('differ only in the RL budget (and where an eval lands): same data, warm-up, rollouts, steps', () => {
    const irs = all.map((f) => JSON.parse(siric(['compile', f]).stdout) as { nodes: Record<string, unknown>[] });
    const strip = (ir: (typeof irs)[number], evalPoints: boolean): unknown =>
      ir.nodes
        .filter((n) => n['type'] !== 'schedule')
        .map((n) => {
          if (n['type'] === 'eval' && !evalPoints) {
            const { points: _p, at_phase_end: _a, ...rest } = n;
            return rest;
          }
          if (n['type'] !== 'train') return n;
          const { budget, checkpoints: _c, ...rest } = n as { budget: { by_step: number[] }; checkpoints: unknown };
          return { ...rest, steps_in_budget: budget.by_step.length };
        });
    // The four registered schedules are evaluated at the same points; a knob variant may add points.
    for (const ir of irs.slice(1, 4)) expect(strip(ir, true)).toEqual(strip(irs[0]!, true));
    for (const ir of irs.slice(4)) expect(strip(ir, false)).toEqual(strip(irs[0]!, false));
    const budgets = irs.map((ir) => (ir.nodes.find((n) => n['id'] === 'train.rl') as { budget: { by_step: number[] } }).budget.by_step);
    expect(new Set(budgets.map((b) => b.length))).toEqual(new Set([40]));
    expect(new Set(budgets.map((b) => JSON.stringify(b))).size).toBe(all.length);
    // Fixed-short is below every hard problem's need (34-42 tokens), as the registered claim requires.
    expect(Math.max(...budgets[main.indexOf('fixed-short.siri')]!)).toBeLessThan(34);
  });
});
