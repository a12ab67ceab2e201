// Refreshes the output shown in docs/errors.md from the diagnostic goldens
// (test/fixtures/diagnostics/*.txt), after a message changed and the goldens were updated:
//   UPDATE_GOLDEN=1 npx vitest run test/diagnostics && npm run gen
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOC = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));
const GOLDENS = fileURLToPath(new URL('../../test/fixtures/diagnostics/', import.meta.url));

export function syncErrorsDoc(doc: string, goldens: string[]): string {
  return doc.replace(/^```console\n(\$ siric [^\n]*)\n[^]*?^```$/gm, (block, command: string) => {
    const golden = goldens.find((g) => g.startsWith(command + '\n'));
    if (!golden) return block;
    return '```console\n' + golden.replace(/exit code: \d+\n?$/, '').trimEnd() + '\n```';
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const goldens = readdirSync(GOLDENS).filter((f) => f.endsWith('.txt')).map((f) => readFileSync(GOLDENS + f, 'utf8'));
  writeFileSync(DOC, syncErrorsDoc(readFileSync(DOC, 'utf8'), goldens));
  console.log(`wrote     ${DOC}`);
}
