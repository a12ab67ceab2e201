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
  const [{ PRESET_NAMES, renderBench, runBench }, { releaseBackend }] = await Promise.all([import('../bench/train-bench.js'), import('../runtime/backend.js')]);
  const asked = o.preset?.split(',').map((s) => s.trim()) ?? [];
  const unknown = asked.find((p) => !PRESET_NAMES.includes(p));
  if (unknown !== undefined) return { code: EXIT.usage, stderr: `error: unknown preset \`${unknown}\` (presets: ${PRESET_NAMES.join(', ')})\n` };
  // The MLP step is the GPU notes' reference: measured by default only where a GPU runs it.
  const presets = asked.length ? asked : o.backend === 'webgpu' || o.backend === 'tensorflow' ? ['tiny', 'small', 'mlp'] : ['tiny', 'small'];
  process.stderr.write(`measuring ${o.backend ?? 'wasm, webgpu and cpu'} on ${presets.join(', ')}${o.backend ? '' : ' (cpu: tiny only)'}; this takes a few minutes\n`);
  const report = await runBench({ backends: o.backend ? [o.backend] : ['wasm', 'webgpu', 'cpu'], presets, reps: o.reps ?? 5, ...(o.backend ? {} : { cpuPresets: ['tiny'] }) });
  await releaseBackend();
  return { code: EXIT.ok, stdout: o.json ? JSON.stringify(report, null, 2) + '\n' : renderBench(report) };
}
