// `npm run experiment:testbed`: the schedule comparison of docs/results.md on tasks.chain, end to
// end. It drives the real binary as a user would (`siric sweep`, `siric eval --rows`,
// `siric compare`) and then applies the registered claim (src/report/claim.ts) to the runs.
//
//   node dist/tools/experiment-testbed.js [--out DIR] [--seeds 1-5] [--jobs 2] [--analyse]
//
// --analyse skips the sweep and analyses the runs already under DIR (the per-difficulty evals are
// kept in each run directory and not redone).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateClaim, type ClaimResult } from '../report/claim.js';
import { compareRuns, stat, type Comparison } from '../report/compare.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'siric.js');
// One folder for every variant: `--fork-at` needs the shared warm-up imported by the same path.
const DIR = path.join('examples', 'testbed');
const MAIN = ['fixed-long', 'fixed-short', 'linear-decay', 'siri'].map((f) => path.join(DIR, `${f}.siri`));
const KNOBS = fs.readdirSync(path.join(ROOT, DIR)).filter((f) => f.endsWith('.siri')).sort().map((f) => path.join(DIR, f)).filter((f) => !MAIN.includes(f));
/** The variants whose checkpoints are evaluated again, row by row, to split accuracy by difficulty. */
const BY_DIFFICULTY = ['fixed_long', 'fixed_short', 'linear_decay', 'siri'];
/** tasks.chain's default `hard` range starts at 6 steps (stdlib/std/tasks.siri). */
const HARD_FROM = 6;

function args(argv: string[]): { out: string; seeds: string; jobs: string; analyse: boolean } {
  const o = { out: 'runs/testbed', seeds: '1-5', jobs: '2', analyse: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--analyse') o.analyse = true;
    else if (a === '--out' || a === '--seeds' || a === '--jobs') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      o[a.slice(2) as 'out' | 'seeds' | 'jobs'] = v;
    } else throw new Error(`unknown argument ${a}; usage: node dist/tools/experiment-testbed.js [--out DIR] [--seeds 1-5] [--jobs 2] [--analyse]`);
  }
  return o;
}

function siric(argv: string[], inherit = false): string {
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd: ROOT, encoding: 'utf8', stdio: inherit ? 'inherit' : 'pipe', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`siric ${argv.join(' ')} exited ${r.status}${r.stderr ? `:\n${r.stderr}` : ''}`);
  return r.stdout ?? '';
}

/** A chain problem's number of steps: its first count is the steps still to write plus one. */
export function chainSteps(prompt: string): number | undefined {
  const m = /^(\d+):\d/.exec(prompt.trim());
  return m ? Number(m[1]) - 1 : undefined;
}

interface RowsFile {
  variant: string;
  seed: number;
  checkpoint: string;
  step: number;
  easy: { n: number; correct: number; tokens: number };
  hard: { n: number; correct: number; tokens: number };
}

/** Greedy rows of one checkpoint, re-evaluated at 96 tokens, split into easy and hard problems. */
function byDifficulty(runDir: string, checkpoint: string, variant: string, seed: number): RowsFile | undefined {
  const ck = path.join(runDir, 'checkpoints', checkpoint);
  if (!fs.existsSync(ck)) return undefined;
  const file = path.join(runDir, `eval-rows-${checkpoint}.jsonl`);
  if (!fs.existsSync(file)) siric(['eval', ck, '--data', 'chain', '--max-tokens', '96', '--rows', file, '--json']);
  const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; correct: boolean; tokens: number; mode: string });
  const out = { easy: { n: 0, correct: 0, tokens: 0 }, hard: { n: 0, correct: 0, tokens: 0 } };
  for (const r of rows.filter((x) => x.mode === 'greedy')) {
    const steps = chainSteps(r.prompt);
    if (steps === undefined) throw new Error(`${file}: not a tasks.chain prompt: ${JSON.stringify(r.prompt)}`);
    const b = steps >= HARD_FROM ? out.hard : out.easy;
    b.n++;
    b.correct += r.correct ? 1 : 0;
    b.tokens += r.tokens;
  }
  const state = JSON.parse(fs.readFileSync(path.join(ck, 'state.json'), 'utf8')) as { global_step: number };
  return { variant, seed, checkpoint, step: state.global_step, ...out };
}

function difficultyTable(rows: RowsFile[]): string {
  const groups = new Map<string, RowsFile[]>();
  for (const r of rows) groups.set(`${r.variant} ${r.checkpoint}`, [...(groups.get(`${r.variant} ${r.checkpoint}`) ?? []), r]);
  const f = (xs: number[]): string => {
    const s = stat(xs);
    return `${(s.mean * 100).toFixed(1)} ± ${(s.se * 100).toFixed(1)}`;
  };
  const lines = ['| variant | checkpoint | seeds | easy acc % | hard acc % | easy tokens | hard tokens |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const [key, rs] of groups) {
    const [variant, checkpoint] = key.split(' ');
    const tok = (xs: number[]): string => stat(xs).mean.toFixed(1);
    lines.push(`| ${variant} | ${checkpoint} | ${rs.length} | ${f(rs.map((r) => r.easy.correct / r.easy.n))} | ${f(rs.map((r) => r.hard.correct / r.hard.n))} | ${tok(rs.map((r) => r.easy.tokens / r.easy.n))} | ${tok(rs.map((r) => r.hard.tokens / r.hard.n))} |`);
  }
  return lines.join('\n') + '\n';
}

function claimText(r: ClaimResult): string {
  const pp = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
  const lines = [
    `- Precondition (fixed-long's gain over SFT outside the seed spread): ${r.precondition.holds ? 'holds' : 'fails'} — ${r.precondition.why} (seeds ${r.precondition.seeds.join(', ')}).`,
    `- SIRI-low (${r.siri_low.when}, step ${r.siri_low.step}) − fixed-long (end, step ${r.siri_low.baseline_step}), greedy accuracy: ${pp(r.siri_low.diff.mean)} ± ${(r.siri_low.diff.se * 100).toFixed(1)} points (s.e., paired by seed).`,
    `- SIRI-high (${r.siri_high.when}, step ${r.siri_high.step}) − fixed-long (end): ${pp(r.siri_high.diff.mean)} ± ${(r.siri_high.diff.se * 100).toFixed(1)} points.`,
    ...r.tokens.map((t) => `- Tokens measured by the ${t.column} eval: SIRI-low ${t.siri_low_tokens.toFixed(1)} vs fixed-long ${t.baseline_tokens.toFixed(1)} (${(t.saving * 100).toFixed(1)} % fewer; paired ${t.paired.diff.mean >= 0 ? '+' : ''}${t.paired.diff.mean.toFixed(1)} ± ${t.paired.diff.se.toFixed(1)} tokens). **${t.verdict}** — ${t.why}.`),
  ];
  return lines.join('\n') + '\n';
}

export function analyse(out: string): { comparison: Comparison; claim: ClaimResult; text: string } {
  const comparison = compareRuns([out]);
  const claim = evaluateClaim(comparison);
  const rows: RowsFile[] = [];
  const mismatches: string[] = [];
  for (const v of comparison.variants.filter((x) => BY_DIFFICULTY.includes(x.name))) {
    for (const run of v.runs) {
      const names = ['rl-end', ...(v.name === 'siri' ? [claim.siri_low.when.replace(/ end$/, '-end')] : [])];
      for (const name of names) {
        const r = byDifficulty(run.dir, name, v.name, run.seed);
        if (!r) continue;
        rows.push(r);
        // The checkpoint, evaluated again, must give the run's own greedy eval at that step.
        const own = v.points.find((p) => p.step === r.step)?.cells['greedy']?.by_seed.find((x) => x.seed === run.seed)?.accuracy;
        const again = (r.easy.correct + r.hard.correct) / (r.easy.n + r.hard.n);
        if (own === undefined || Math.abs(own - again) > 1e-9) mismatches.push(`${v.name} seed ${run.seed} ${name}: run's eval ${own}, siric eval ${again}`);
      }
    }
  }
  if (mismatches.length) throw new Error(`checkpoint evals do not reproduce the runs' own evals:\n${mismatches.join('\n')}`);
  const text = `## The registered claim, applied to ${comparison.variants.reduce((a, v) => a + v.runs.length, 0)} runs\n\n${claimText(claim)}\n## Accuracy by difficulty (greedy, 96 tokens, mean ± s.e. over seeds; hard = ${HARD_FROM}+ steps)\n\n${difficultyTable(rows)}`;
  return { comparison, claim, text };
}

function main(): void {
  const o = args(process.argv.slice(2));
  const t0 = Date.now();
  if (!o.analyse) siric(['sweep', ...MAIN, ...KNOBS, '--seeds', o.seeds, '--jobs', o.jobs, '--fork-at', 'warmup-end', '--out', o.out], true);
  const sweepS = (Date.now() - t0) / 1000;
  const { claim, text } = analyse(o.out);
  const cmp = siric(['compare', o.out, '--baseline', 'fixed_long', '--spread', 'se', '--markdown', '--out', path.join(o.out, 'compare')]);
  fs.writeFileSync(path.join(o.out, 'claim.md'), text);
  fs.writeFileSync(path.join(o.out, 'claim.json'), JSON.stringify(claim, null, 2) + '\n');
  process.stdout.write(`${cmp}\n${text}\nwrote ${path.join(o.out, 'claim.md')} and claim.json\n`);
  process.stdout.write(`${o.analyse ? '' : `sweep ${Math.round(sweepS / 60)} min; `}total ${Math.round((Date.now() - t0) / 60_000)} min\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
