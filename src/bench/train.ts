// `npm run bench:train [-- --backend B] [--preset tiny|small|medium] [--reps N] [--json]`: the same
// benchmark as `siric bench`, for developers (after a build).
import { releaseBackend } from '../runtime/backend.js';
import { PRESETS, renderBench, runBench } from './train-bench.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1];
};
const report = await runBench({
  backends: opt('backend') ? [opt('backend')!] : ['wasm', 'cpu', 'webgpu'],
  presets: opt('preset') ? [opt('preset')!] : Object.keys(PRESETS).filter((p) => p !== 'medium'),
  reps: Number(opt('reps') ?? 5),
});
process.stdout.write(args.includes('--json') ? JSON.stringify(report, null, 2) + '\n' : renderBench(report));
await releaseBackend();
process.exit(0);
