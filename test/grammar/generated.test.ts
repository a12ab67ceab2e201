// The generated grammar artifacts must match the parser: regenerate them with `npm run gen:grammar`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CST_DTS_PATH,
  DIAGRAMS_HTML_PATH,
  DIAGRAMS_RESOURCE_DIR,
  DIAGRAM_VENDOR_FILES,
  GEN_COMMAND,
  chevrotainDiagramsDir,
  generateCstDts,
  generateDiagramsHtml,
  repoRoot,
} from '../../src/tools/grammar-artifacts.js';

const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const stale = (path: string): string => `${path} is stale or missing: run \`${GEN_COMMAND}\` and commit the result`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('generated grammar artifacts are up to date', () => {
  it(`${CST_DTS_PATH} matches generateCstDts()`, () => {
    expect(existsSync(join(repoRoot, CST_DTS_PATH)), stale(CST_DTS_PATH)).toBe(true);
    expect(read(CST_DTS_PATH) === generateCstDts(), stale(CST_DTS_PATH)).toBe(true);
  });

  it(`${DIAGRAMS_HTML_PATH} matches generateDiagramsHtml()`, () => {
    expect(existsSync(join(repoRoot, DIAGRAMS_HTML_PATH)), stale(DIAGRAMS_HTML_PATH)).toBe(true);
    expect(read(DIAGRAMS_HTML_PATH) === generateDiagramsHtml(), stale(DIAGRAMS_HTML_PATH)).toBe(true);
  });

  it('the copies of chevrotain diagram files match the installed chevrotain', () => {
    const base = join(dirname(DIAGRAMS_HTML_PATH), DIAGRAMS_RESOURCE_DIR);
    for (const file of DIAGRAM_VENDOR_FILES) {
      const copy = join(base, file);
      const message = stale(copy);
      expect(existsSync(join(repoRoot, copy)), message).toBe(true);
      expect(read(copy) === readFileSync(join(chevrotainDiagramsDir(), file), 'utf8'), message).toBe(true);
    }
  });

  it('the CST types name every parser rule', () => {
    const dts = generateCstDts();
    expect(dts.startsWith('// GENERATED FILE')).toBe(true);
    expect(dts).toContain(GEN_COMMAND);
    for (const rule of ['file', 'declaration', 'item', 'expression', 'record']) {
      expect(dts).toContain(`name: "${rule}";`);
    }
  });
});

describe('grammar/diagrams.html opens offline', () => {
  const html = generateDiagramsHtml();
  const htmlDir = join(repoRoot, dirname(DIAGRAMS_HTML_PATH));
  const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*(['"])(.*?)\1/g)].map((m) => m[2]!);

  it('references the diagram scripts and stylesheet', () => {
    expect(refs.length).toBe(DIAGRAM_VENDOR_FILES.length);
    expect(refs.some((r) => r.endsWith('.css'))).toBe(true);
  });

  it('has no http(s) or protocol-relative URL', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    for (const ref of refs) {
      expect(ref, `${ref} is not a local relative path`).not.toMatch(/^(?:[a-z][a-z0-9+.-]*:|\/)/i);
    }
  });

  it('every referenced file exists under grammar/diagrams/', () => {
    const resourceDir = join(htmlDir, DIAGRAMS_RESOURCE_DIR);
    for (const ref of refs) {
      const target = resolve(htmlDir, ref);
      expect(relative(resourceDir, target).startsWith('..'), `${ref} points outside ${DIAGRAMS_RESOURCE_DIR}/`).toBe(false);
      expect(existsSync(target), `${ref} does not exist: run \`${GEN_COMMAND}\``).toBe(true);
    }
  });

  it('grammar/diagrams/ holds only referenced files', () => {
    const resourceDir = join(htmlDir, DIAGRAMS_RESOURCE_DIR);
    const present = filesUnder(resourceDir).map((p) => relative(htmlDir, p).split('\\').join('/')).sort();
    const wanted = refs.map((r) => r.replace(/^\.\//, '')).sort();
    expect(present).toEqual(wanted);
  });
});
