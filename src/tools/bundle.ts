// Bundles the CLI into dist/bundle/ (run by `npm run build`): one file to load instead of about a
// thousand modules (chevrotain's ESM build alone pulls in 641 lodash-es files), which is most of
// a command's start-up time. TensorFlow.js stays external and is loaded only by `siric run`.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Chunk names carry content hashes: without a clean folder, every build would leave its old chunks.
rmSync(`${root}dist/bundle`, { recursive: true, force: true });
await build({
  entryPoints: [`${root}dist/cli/main.js`],
  outdir: `${root}dist/bundle`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Loaded only by `siric run` (and its live view; esbuild for .ts reward modules): left to node_modules.
  external: ['@tensorflow/*', 'webgpu', 'ink', 'react', 'esbuild'],
  // CommonJS dependencies (commander) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __siricRequire } from 'node:module'; const require = __siricRequire(import.meta.url);" },
  logLevel: 'warning',
});
