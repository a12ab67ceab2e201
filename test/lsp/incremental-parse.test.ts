// The language server's piecewise parse gives exactly the tree and diagnostics of parseFile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../src/ast/build.js';
import { generatePipeline } from '../../src/bench/compile.js';
import { IncrementalParser, pieceStarts } from '../../src/lsp/incremental-parse.js';
import { ROOT } from '../helpers/binary.js';

const siriFiles = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.siri')).map((f) => path.join(dir, f));
const same = (text: string, parser = new IncrementalParser()): void => {
  expect(parser.parse('f.siri', text)).toEqual(parseFile('f.siri', text));
};

describe('piecewise parsing', () => {
  it('the examples, std/ and a generated pipeline parse to the same trees', () => {
    for (const f of [...siriFiles(path.join(ROOT, 'examples')), ...siriFiles(path.join(ROOT, 'stdlib'))]) same(fs.readFileSync(f, 'utf8'));
    same(generatePipeline(1000));
  });

  it('edits re-parse only what changed, and the result is still the same as a whole parse', () => {
    const parser = new IncrementalParser();
    let text = generatePipeline(600);
    same(text, parser);
    for (const [from, to] of [['lr = 1e-6', 'lr = 22e-6'], ['seed = 1234', 'seed = 1\n\n\n'], ['# ---- shard 2', '# a longer comment in place of ---- shard 2']] as const) {
      text = text.replace(from, to);
      same(text, parser);
    }
  });

  it('odd layouts and syntax errors: the same trees and the same diagnostics', () => {
    const cases = [
      'pipeline p {\nseed = 1\n}\nmodel m {\n  source = scratch()\n}\n',
      'train a = presets.dapo\nwith { lr = 1e-6 }\n',
      'import "std/presets"\r\npipeline p { seed = 1 }\r\n# c\r\nmodel m { source = scratch() }\r\n',
      'pipeline p { description = "a { brace" }\nmodel m { source = scratch() }  # } in a comment\ndataset d { prompt = "x" }\n',
      'pipeline p { seed = 1\nmodel m { source = scratch() }\n',
      'pipeline p { seed = }\nmodel m { source = scratch() }\n',
      'pipeline p { seed = 1 }\n}\nmodel m { }\n',
      "pipeline p { out = 'x' }\nmodel m { }\n",
    ];
    for (const c of cases) same(c);
  });

  it('cuts at names in the first column outside brackets, strings and comments', () => {
    expect(pieceStarts('a {\nb = 1\n}\nc { x = "}" }\n# d {\ne = 1\n')).toEqual([0, 12, 32]);
    expect(pieceStarts('a { \n')).toBeUndefined();
  });
});
