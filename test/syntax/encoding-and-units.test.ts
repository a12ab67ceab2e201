// The bytes of a file: NUL bytes and invalid UTF-8 are errors at their place (check and fmt), a BOM
// is not content; and size suffixes the language lacks (`1K`, `16m`, `2G`) say which exist.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fmtCommand } from '../../src/cli/fmt.js';
import { compileFile } from '../../src/compiler.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-bytes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, bytes: Buffer | string): string => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
};
const diagsOf = (f: string) => compileFile(f, { mode: 'check', display: 'x.siri' }).diagnostics;

describe('file bytes', () => {
  it('a NUL byte: E0902 at its line and column', () => {
    const [d, ...rest] = diagsOf(write('nul.siri', 'pipeline p {\n  seed = 1\u0000\n}\n'));
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ code: 'E0902', message: '`x.siri` is not a text file', span: { file: 'x.siri', start: { line: 2, column: 11, offset: 23 } } });
  });

  it('invalid UTF-8: E0902 at the first bad byte, in check and in fmt (which leaves the file alone)', () => {
    const bytes = Buffer.concat([Buffer.from('pipeline p {\n  seed = 1 # caf\u00e9 '), Buffer.from([0xe9, 0x80]), Buffer.from('\n}\n')]);
    const f = write('latin1.siri', bytes);
    const [d, ...rest] = diagsOf(f);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ code: 'E0902', message: '`x.siri` is not UTF-8 text', span: { start: { line: 2, column: 19 } } });
    const out = fmtCommand([f], {}, () => '');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('error[E0902]');
    expect(fs.readFileSync(f)).toEqual(bytes);
  });

  it('overlong encodings and surrogates are invalid too', () => {
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      const f = write('bad.siri', Buffer.concat([Buffer.from('pipeline p { seed = 1 } #'), Buffer.from(bad), Buffer.from('\n')]));
      expect(diagsOf(f).map((d) => [d.code, d.span?.start.column])).toEqual([['E0902', 26]]);
    }
  });

  it('a BOM is fine', () => {
    const f = write('bom.siri', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('pipeline p { seed = 1 } # \u00e9\n')]));
    expect(diagsOf(f)).toEqual([]);
    expect(fmtCommand([f], {}, () => '')).toMatchObject({ code: 0 });
    expect(fs.readFileSync(f, 'utf8')).toMatch(/^pipeline p {/);
  });
});

describe('size suffixes', () => {
  const one = (value: string) => compileFile('u.siri', { mode: 'check', text: `pipeline p { seed = ${value} }\n`, display: 'u.siri' }).diagnostics;

  it('`1K` and `16K`: the suffix is a lowercase k', () => {
    for (const n of ['1', '16']) {
      const [d, ...rest] = one(`${n}K`);
      expect(rest).toEqual([]);
      expect(d).toMatchObject({ code: 'E0106', message: 'the size suffix is a lowercase `k`, not `K`', help: `write \`${n}k\``, span: { start: { column: 21 }, end: { column: 23 + n.length - 1 } } });
    }
  });

  it('`1m`: M (×1024²) is uppercase; `2G`: not a suffix', () => {
    expect(one('1m')).toMatchObject([{ code: 'E0106', message: 'the suffix for ×1024² is an uppercase `M`, not `m`', help: 'write `1M`, or `1k` for ×1024' }]);
    expect(one('2G')).toMatchObject([{ code: 'E0106', message: '`2G` has a size suffix siric does not know' }]);
  });

  it('`1k` and `1M` are still numbers', () => {
    expect(one('1k')).toEqual([]);
    expect(one('1M')).toEqual([]);
  });
});
