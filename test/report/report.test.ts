// `siric report`: reading run directories, the Vega-Lite specs, headless SVG rendering, the
// self-contained page, and the command. Works on temp copies of the real quickstart run.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import { parse as parseVega, View } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { budgetSpec, efficiencySpec, readRun, readRuns, renderSvg, reportHtml, rewardSpec, writeReport } from '../../src/report/report.js';
import { RunError } from '../../src/runtime/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const BIN = path.join(ROOT, 'bin', 'siric.js');
// The metrics and manifest of the real quickstart run of docs/quickstart.md, kept as a fixture.
const REAL = path.join(ROOT, 'test', 'fixtures', 'report', 'quickstart', '20261126-081328');
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1' };
delete ENV['FORCE_COLOR'];
delete ENV['SIRIC_DEBUG'];

let tmp: string;

/** A copy of the real run (without checkpoints) under a fresh name. */
function copyRun(id: string, edit?: (metrics: string) => string): string {
  const dir = path.join(tmp, 'quickstart', id);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(REAL, 'manifest.json'), path.join(dir, 'manifest.json'));
  const metrics = fs.readFileSync(path.join(REAL, 'metrics.jsonl'), 'utf8');
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), edit ? edit(metrics) : metrics);
  return dir;
}

function siric(args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return r;
}

/** URLs other than the SVG/XLink namespace declarations. */
function resourceUrls(html: string): string[] {
  const withoutNs = html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
  return withoutNs.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-report-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('reading a run directory', () => {
  it('reads the real quickstart run: train rows, evals, RL phase bands offset by start_step', () => {
    const run = readRun(REAL);
    expect(run.pipeline).toBe('quickstart');
    expect(run.id).toBe('20261126-081328');
    expect(run.label).toBe('quickstart 20261126-081328');
    expect(run.train).toHaveLength(720);
    expect(run.evals.map((e) => e.step)).toEqual([600, 620, 640, 660, 680, 700, 720]);
    expect(run.skipped).toBe(0);
    expect(run.bands.map((b) => [b.role, b.start, b.end])).toEqual([
      ['compress', 600, 620], ['expand', 620, 640], ['compress', 640, 660],
      ['expand', 660, 680], ['compress', 680, 700], ['expand', 700, 720],
    ]);
  });

  it('skips and counts a corrupt metrics line', () => {
    const dir = copyRun('corrupt', (m) => {
      const lines = m.split('\n');
      lines.splice(5, 0, '{"type":"train","stage":"warm', 'not json at all');
      return lines.join('\n');
    });
    const run = readRun(dir);
    expect(run.skipped).toBe(2);
    expect(run.train).toHaveLength(720);
    expect(reportHtml([run], { budget: '<svg></svg>', reward: '<svg></svg>', efficiency: '<svg></svg>' })).toContain('2 unreadable lines');
  });

  it('a missing manifest is a RunError naming the path', () => {
    const dir = copyRun('nomanifest');
    fs.rmSync(path.join(dir, 'manifest.json'));
    expect(() => readRun(dir)).toThrow(RunError);
    expect(() => readRun(dir)).toThrow(path.join(dir, 'manifest.json'));
  });

  it('a corrupt manifest, a missing metrics file and a missing directory are RunErrors', () => {
    const bad = copyRun('badmanifest');
    fs.writeFileSync(path.join(bad, 'manifest.json'), '{"ir": ');
    expect(() => readRun(bad)).toThrow(/manifest\.json: the manifest is not valid JSON/);
    const nometrics = copyRun('nometrics');
    fs.rmSync(path.join(nometrics, 'metrics.jsonl'));
    expect(() => readRun(nometrics)).toThrow(/metrics\.jsonl: no metrics\.jsonl/);
    expect(() => readRun(path.join(tmp, 'nope'))).toThrow(/does not exist/);
  });
});

describe('specs', () => {
  const runs = () => [readRun(REAL)];

  it('budget: max_tokens, response lengths and truncation over global steps, phases shaded', () => {
    const s = JSON.stringify(budgetSpec(runs()));
    for (const f of ['"global_step"', 'budget (max_tokens)', 'mean response length', 'max response length', 'truncation rate', '"Truncation rate"', '"Tokens"', '"rect"', '"compress"', '"expand"']) expect(s).toContain(f);
  });

  it('reward: reward mean and accuracy over steps, RL rows only', () => {
    const spec = rewardSpec(runs()) as unknown as { layer: { data: { values: { metric: string; global_step: number }[] } }[] };
    const values = spec.layer.at(-1)!.data.values;
    expect(new Set(values.map((v) => v.metric))).toEqual(new Set(['reward mean', 'accuracy']));
    expect(Math.min(...values.map((v) => v.global_step))).toBe(601);
    expect(JSON.stringify(spec)).toContain('"Reward / accuracy"');
  });

  it('efficiency: every eval point, accuracy against mean tokens, ordered and labelled by step', () => {
    const spec = efficiencySpec(runs()) as unknown as { data: { values: { step: number; accuracy: number; response_len_mean: number; label: string }[] }; encoding: { x: { field: string }; y: { field: string } } };
    expect(spec.data.values).toHaveLength(7);
    expect(spec.data.values[0]).toMatchObject({ step: 600, accuracy: 0.359375, label: 'step 600' });
    expect(spec.encoding.x.field).toBe('response_len_mean');
    expect(spec.encoding.y.field).toBe('accuracy');
    const s = JSON.stringify(spec);
    expect(s).toContain('"order"');
    expect(s).toContain('"text"');
  });
});

/** The x scale's domain as vega resolves it for the rendered chart. */
async function xDomain(spec: TopLevelSpec): Promise<number[]> {
  const view = new View(parseVega(compile(spec).spec), { renderer: 'none' });
  try {
    await view.runAsync();
    return view.scale('x').domain() as number[];
  } finally {
    view.finalize();
  }
}

describe('chart axes', () => {
  it('the reward chart spans the RL steps only (SFT steps have no reward)', async () => {
    // The real run: 600 SFT steps, then 120 GRPO steps.
    expect(await xDomain(rewardSpec([readRun(REAL)]))).toEqual([600, 720]);
  });

  it('the efficiency chart starts at zero tokens, so a spread of under a token stays small', async () => {
    const run = readRun(REAL);
    run.evals = run.evals.map((e, i) => ({ ...e, response_len_mean: 20 + i * 0.13 }));
    const [lo, hi] = await xDomain(efficiencySpec([run]));
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThanOrEqual(20.8);
  });
});

describe('finished vs stopped', () => {
  it('only an eval at the run\'s last step is "final"; a stopped run says where it stopped', () => {
    const finished = reportHtml([readRun(REAL)], { budget: '', reward: '', efficiency: '' });
    expect(finished).toMatch(/<td>final<\/td><td>[^<]*<\/td><td class="n">720</);
    expect(finished).not.toContain('Stopped at step');
    // The same run stopped by --max-steps at step 650: its last eval (step 640) is not final.
    const dir = copyRun('20990101-000001', (m) => m.split('\n').filter((l) => !l || (JSON.parse(l) as { global_step?: number; step: number }).step <= 650 && ((JSON.parse(l) as { type: string }).type === 'eval' || (JSON.parse(l) as { global_step: number }).global_step <= 650)).join('\n'));
    const stopped = readRun(dir);
    expect(stopped.evals.at(-1)!.step).toBe(640);
    const html = reportHtml([stopped], { budget: '', reward: '', efficiency: '' });
    expect(html).not.toContain('<td>final</td>');
    expect(html).toContain('Stopped at step 650 of 720');
  });
});

describe('rendering', () => {
  it('renders the real run to SVGs with the axis titles, deterministically', async () => {
    const runs = [readRun(REAL)];
    const budget = await renderSvg(budgetSpec(runs));
    const reward = await renderSvg(rewardSpec(runs));
    const efficiency = await renderSvg(efficiencySpec(runs));
    for (const svg of [budget, reward, efficiency]) expect(svg).toContain('<svg');
    for (const t of ['Global step', 'Tokens', 'Truncation rate']) expect(budget).toContain(t);
    for (const t of ['Global step', 'Reward / accuracy']) expect(reward).toContain(t);
    for (const t of ['Mean response tokens', 'Accuracy', 'step 720']) expect(efficiency).toContain(t);
    expect(await renderSvg(budgetSpec(runs))).toBe(budget);
  });

  it('writes a self-contained report.html into the run directory, inlining all three charts', async () => {
    const dir = copyRun('page');
    const { files } = await writeReport([dir]);
    expect(Object.values(files).map((f) => path.basename(f)).sort()).toEqual(['budget.svg', 'efficiency.svg', 'report.html', 'reward.svg']);
    const html = fs.readFileSync(files.html, 'utf8');
    expect(resourceUrls(html)).toEqual([]);
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html.match(/<svg\b/g)).toHaveLength(3);
    for (const f of ['budget.svg', 'reward.svg', 'efficiency.svg']) expect(html).toContain(fs.readFileSync(path.join(dir, f), 'utf8'));
    expect(html).toContain('<title>siric report: quickstart</title>');
    for (const t of ['after SFT', 'end of compress (cycle 1)', 'end of expand (cycle 2)', 'final']) expect(html).toContain(t);
    expect(html).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
  });

  it('overlays two runs: two series, both named in the page', async () => {
    const a = copyRun('run-a');
    const b = copyRun('run-b', (m) => m.replace(/"accuracy":0\.3/g, '"accuracy":0.5'));
    const runs = readRuns([a, b]);
    const eff = efficiencySpec(runs) as unknown as { data: { values: { series: string }[] } };
    expect([...new Set(eff.data.values.map((v) => v.series))]).toEqual(['quickstart run-a', 'quickstart run-b']);
    const budget = budgetSpec(runs) as unknown as { vconcat: { layer: { data: { values: { run: string }[] } }[] }[] };
    expect(new Set(budget.vconcat[0]!.layer.at(-1)!.data.values.map((v) => v.run)).size).toBe(2);
    const { files } = await writeReport([a, b]);
    expect(path.dirname(files.html)).toBe(a);
    expect(fs.existsSync(path.join(b, 'report.html'))).toBe(false);
    const html = fs.readFileSync(files.html, 'utf8');
    expect(html).toContain('quickstart run-b');
    expect(html).toContain(b);
    expect(fs.readFileSync(files.efficiency, 'utf8')).toContain('quickstart run-b');
  });

  it('two runs with the same id get distinct labels', () => {
    const a = copyRun('same');
    const other = path.join(tmp, 'elsewhere', 'same');
    fs.mkdirSync(other, { recursive: true });
    for (const f of ['manifest.json', 'metrics.jsonl']) fs.copyFileSync(path.join(a, f), path.join(other, f));
    expect(readRuns([a, other]).map((r) => r.label)).toEqual(['quickstart same', 'quickstart same (2)']);
  });
});

describe('siric report', () => {
  it('writes the files and prints their paths (exit 0)', () => {
    const dir = copyRun('cli');
    const r = siric(['report', dir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const f of ['budget.svg', 'reward.svg', 'efficiency.svg', 'report.html']) {
      expect(r.stdout).toContain(path.join(dir, f));
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
  });

  it('exits 1 with a one-line error for a bad run directory, no stack trace', () => {
    const dir = path.join(tmp, 'empty-dir');
    fs.mkdirSync(dir, { recursive: true });
    const r = siric(['report', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(/^error\[R\d{4}\]: .*manifest\.json/);
    expect(r.stderr).not.toMatch(/^ {4}at /m);
    expect(r.stderr).not.toContain('unexpectedly');
    const missing = siric(['report', path.join(tmp, 'does-not-exist')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error\[R\d{4}\]: run directory .* does not exist/);
  });

  it('warns about skipped metric lines', () => {
    const dir = copyRun('cli-corrupt', (m) => m + '{oops\n');
    const r = siric(['report', dir]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('skipped 1 unreadable line');
  });
});
