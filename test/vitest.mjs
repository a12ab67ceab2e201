// `npm test` runs vitest through this wrapper, which keeps two kinds of noise out of its output.
// - Dawn (the `webgpu` package) prints "Warning: maxDynamic…BuffersPerPipelineLayout artificially
//   reduced from 90 to 16 to fit dynamic offset allocation limit." from native code, straight to
//   stderr, each time a test creates the software GL adapter. It is harmless (neither tfjs nor siric
//   binds buffers with dynamic offsets) and cannot be silenced from JavaScript, so exactly those lines are dropped;
//   every other line of stderr, Dawn's real errors included, passes through.
// - vitest colours its output even into a file or under CI (its colour check ignores whether stdout
//   is a terminal): no colours unless stdout is one, or FORCE_COLOR asks for them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DAWN_LIMIT_NOTICE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

const env = { ...process.env };
if (!process.stdout.isTTY && env.FORCE_COLOR === undefined) env.NO_COLOR = '1';
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const child = spawn(process.execPath, [vitest, ...process.argv.slice(2)], { env, stdio: ['inherit', 'inherit', 'pipe'] });

let pending = '';
child.stderr.setEncoding('utf8').on('data', (chunk) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop();
  const kept = lines.filter((l) => !DAWN_LIMIT_NOTICE.test(l));
  if (kept.length) process.stderr.write(kept.map((l) => l + '\n').join(''));
});
child.stderr.on('end', () => {
  if (pending && !DAWN_LIMIT_NOTICE.test(pending)) process.stderr.write(pending);
});
// Ctrl-C reaches vitest itself (same process group); wait for it to finish.
process.on('SIGINT', () => {});
child.on('close', (code, signal) => {
  process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
});
