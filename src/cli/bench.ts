// `siric bench`: what this machine's backends do on a GRPO step (sampling with the KV cache, the
// update, a plain training step, the matmul rate), next to PyTorch when it is installed.
import { EXIT, type Outcome } from './common.js';

export interface BenchCmdOptions {
  backend?: string;
  preset?: string;
  reps?: number;
  json?: boolean;
}

export async function benchCommand(o: BenchCmdOptions): Promise<Outcome> {
  const [{ PRESETS, renderBench, runBench }, { releaseBackend }] = await Promise.all([import('../bench/train-bench.js'), import('../runtime/backend.js')]);
  if (o.preset && !PRESETS[o.preset]) return { code: EXIT.usage, stderr: `error: unknown preset \`${o.preset}\` (presets: ${Object.keys(PRESETS).join(', ')})\n` };
  const presets = o.preset ? [o.preset] : ['tiny', 'small'];
  process.stderr.write(`measuring ${o.backend ?? 'wasm, webgpu and cpu'} on ${presets.join(', ')}${o.backend ? '' : ' (cpu: tiny only)'}; this takes a few minutes\n`);
  const report = await runBench({ backends: o.backend ? [o.backend] : ['wasm', 'webgpu', 'cpu'], presets, reps: o.reps ?? 5, ...(o.backend ? {} : { cpuPresets: ['tiny'] }) });
  await releaseBackend();
  return { code: EXIT.ok, stdout: o.json ? JSON.stringify(report, null, 2) + '\n' : renderBench(report) };
}
