// A training step with step graphs against the same step through tfjs, interleaved in one process
// (A, B, A, B, ...) so that a GPU's clock and the machine's other load weigh on both alike; and the
// PyTorch reference of the same step, measured in the same run. Separate runs of `siric bench` on
// the H100 differed by up to 2.5× in PyTorch's own step time, too much to compare two settings.
// Usage (after a build):
//   node dist/bench/ab-step.js [--backend webgpu] [--preset mlp|tiny|small] [--n 30] [--json]
import * as tf from '@tensorflow/tfjs';
import { releaseBackend, selectBackend, type BackendRequest } from '../runtime/backend.js';
import { buildMlpStep, buildTrainStep, MLP_PRESET, PRESETS, torchReference } from './train-bench.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** Median, fastest and 90th percentile of some times, in ms. */
function summary(ts: number[]): { median_ms: number; min_ms: number; p90_ms: number } {
  const s = [...ts].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { median_ms: r(s[Math.floor(s.length / 2)]!), min_ms: r(s[0]!), p90_ms: r(s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!) };
}

async function main(): Promise<void> {
  const backend = arg('backend', 'webgpu') as BackendRequest;
  const preset = arg('preset', 'mlp');
  const n = Number(arg('n', '30'));
  if (preset !== 'mlp' && !PRESETS[preset]) throw new Error(`unknown preset ${preset}`);
  const selected = await selectBackend(backend);
  const build = () => (preset === 'mlp' ? buildMlpStep() : buildTrainStep(PRESETS[preset]!));
  const graphs = build();
  const eager = build();
  // The eager step runs with graphs switched off around each of its calls (useStepGraphs reads the
  // setting at every run), so it never records; the graphed step records, then replays.
  const withoutGraphs = async (f: () => Promise<void>): Promise<void> => {
    const old = process.env['SIRIC_WEBGPU_GRAPHS'];
    process.env['SIRIC_WEBGPU_GRAPHS'] = '0';
    try {
      await f();
    } finally {
      if (old === undefined) delete process.env['SIRIC_WEBGPU_GRAPHS'];
      else process.env['SIRIC_WEBGPU_GRAPHS'] = old;
    }
  };
  for (let i = 0; i < 4; i++) await graphs.step(), await withoutGraphs(eager.step);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    await graphs.step();
    a.push(performance.now() - t0);
    t0 = performance.now();
    await withoutGraphs(eager.step);
    b.push(performance.now() - t0);
  }
  const status = graphs.status();
  graphs.dispose();
  eager.dispose();
  const torch = torchReference(preset, preset === 'mlp' ? MLP_PRESET : PRESETS[preset]!, Math.max(5, Math.floor(n / 3)), tf.getBackend() === 'webgpu' ? 'cuda' : 'cpu');
  const report = { backend: tf.getBackend(), device: selected.device, preset, n, graphs: { ...summary(a), step_graph: status }, eager: summary(b), torch };
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    const ref = torch as Record<string, unknown>;
    const t = 'train_step_s' in ref ? Number(ref['train_step_s']) * 1000 : undefined;
    const line = (name: string, s: ReturnType<typeof summary>) => `  ${name.padEnd(14)} median ${s.median_ms} ms, fastest ${s.min_ms}, p90 ${s.p90_ms}${t ? `  (${(s.median_ms / t).toFixed(2)}× PyTorch)` : ''}\n`;
    process.stdout.write(`${report.backend} ${preset}, ${n} steps each, interleaved\n${line('step graphs', report.graphs)}${line('through tfjs', report.eager)}`);
    process.stdout.write(t ? `  PyTorch        ${t.toFixed(3)} ms (${String(ref['device'])})\n` : `  PyTorch: ${String(ref['unavailable'])}\n`);
  }
  await releaseBackend();
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`ab-step: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
