// Writes the generated grammar artifacts (see grammar-artifacts.ts):
//   npm run gen:grammar   (builds, then runs dist/tools/gen-grammar.js)
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  CST_DTS_PATH,
  DIAGRAMS_HTML_PATH,
  DIAGRAMS_RESOURCE_DIR,
  DIAGRAM_VENDOR_FILES,
  chevrotainDiagramsDir,
  generateCstDts,
  generateDiagramsHtml,
  repoRoot,
} from './grammar-artifacts.js';

function write(path: string, text: string): void {
  const abs = join(repoRoot, path);
  const old = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  console.log(`${old === text ? 'unchanged' : 'wrote    '} ${path}`);
}

write(CST_DTS_PATH, generateCstDts());
write(DIAGRAMS_HTML_PATH, generateDiagramsHtml());

const from = chevrotainDiagramsDir();
const to = join(repoRoot, dirname(DIAGRAMS_HTML_PATH), DIAGRAMS_RESOURCE_DIR);
for (const file of DIAGRAM_VENDOR_FILES) {
  const dest = join(to, file);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(join(from, file), dest);
  console.log(`copied    ${relative(repoRoot, dest)}`);
}

// The VS Code package carries its own copy of the TextMate grammar (a packaged extension cannot
// reach outside its folder); test/lsp/editor-package.test.ts checks that it is the same file.
const grammarCopy = join(repoRoot, 'editors', 'vscode', 'syntaxes', 'siri.tmLanguage.json');
copyFileSync(join(repoRoot, 'grammar', 'siri.tmLanguage.json'), grammarCopy);
console.log(`copied    ${relative(repoRoot, grammarCopy)}`);
