// editors/vscode/ is not built by CI; what can be checked without VS Code is checked here.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGETS } from '../../src/lsp/diagnose.js';
import { ROOT } from '../helpers/binary.js';

const PKG = path.join(ROOT, 'editors', 'vscode');
const json = (file: string): Record<string, any> => JSON.parse(fs.readFileSync(path.join(PKG, file), 'utf8')) as Record<string, any>;

describe('the VS Code package', () => {
  it('carries the same TextMate grammar as grammar/ (npm run gen:grammar copies it)', () => {
    expect(fs.readFileSync(path.join(PKG, 'syntaxes', 'siri.tmLanguage.json'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'grammar', 'siri.tmLanguage.json'), 'utf8'));
  });

  it('contributes the language, its grammar and the settings siric.path and siric.target', () => {
    const pkg = json('package.json');
    const lang = pkg['contributes'].languages[0];
    expect(lang).toMatchObject({ id: 'siri', extensions: ['.siri'] });
    expect(fs.existsSync(path.join(PKG, lang.configuration))).toBe(true);
    expect(json(lang.configuration)['comments']).toEqual({ lineComment: '#' });
    const grammar = pkg['contributes'].grammars[0];
    expect(grammar.scopeName).toBe(json(grammar.path)['scopeName']);
    const props = pkg['contributes'].configuration.properties;
    expect(Object.keys(props).sort()).toEqual(['siric.path', 'siric.target']);
    expect(props['siric.target'].enum).toEqual([...TARGETS]);
    expect(fs.existsSync(path.join(PKG, pkg['main']))).toBe(true);
  });

  it('has its client as its own dependency, not siric\'s', () => {
    expect(json('package.json')['dependencies']).toHaveProperty('vscode-languageclient');
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect({ ...root['dependencies'], ...root['devDependencies'] }).not.toHaveProperty('vscode-languageclient');
    const r = spawnSync(process.execPath, ['--check', path.join(PKG, 'extension.js')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
