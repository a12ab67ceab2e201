// `kind = custom`: a user's reward function from a JavaScript module, loaded only when a run
// starts (the compiler never executes user code). Node imports `.js` and `.mjs` files; a `.ts`
// module works only when Node itself can import it (a TypeScript loader, or a Node with type
// stripping), so compile TypeScript rewards to `.js`/`.mjs` first.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IRReward } from '../../ir/graph.js';
import { RunError, type RewardInput } from '../types.js';

export type RewardFn = (input: RewardInput) => number | Promise<number>;

export async function loadCustomReward(node: IRReward, baseDir: string): Promise<RewardFn> {
  const mod = node.params['module'];
  const name = node.params['export'] ?? 'default';
  if (typeof mod !== 'string' || typeof name !== 'string') throw new RunError(`reward \`${node.name}\`: \`module\` and \`export\` must be strings`);
  const file = path.resolve(baseDir, mod);
  if (!existsSync(file)) throw new RunError(`reward \`${node.name}\`: cannot find the module ${mod}`, `looked for ${file} (paths are relative to the pipeline file's folder)`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    const ts = /\.[mc]?ts$/.test(file) ? 'Node cannot import TypeScript here: compile the module to .js or .mjs' : undefined;
    throw new RunError(`reward \`${node.name}\`: cannot load the module ${mod}: ${(e as Error).message}`, ts);
  }
  const fn = exports[name];
  if (typeof fn !== 'function') {
    const have = Object.keys(exports).filter((k) => typeof exports[k] === 'function');
    throw new RunError(`reward \`${node.name}\`: the module ${mod} has no function export "${name}"`, have.length ? `its function exports: ${have.join(', ')}; set \`export = "${have[0]}"\`` : 'export a function (input) => number, e.g. `export default function (input) { ... }`');
  }
  return fn as RewardFn;
}
