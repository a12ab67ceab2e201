// `siric fmt FILE...`: canonical formatting in place; `--check` lists files that differ; `-` is stdin.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../diagnostics/messages.js';
import { formatSource } from '../format/printer.js';
import { decodeSource, notUtf8, type Source } from '../semantics/loader.js';
import { EXIT, printDiagnostics, type Outcome } from './common.js';

export interface FmtOptions {
  check?: boolean;
}

export function fmtCommand(files: string[], opts: FmtOptions, readStdin: () => string): Outcome {
  const stdout: string[] = [];
  const diags: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const errors: string[] = [];
  let differs = false;
  for (const f of files) {
    const isStdin = f === '-';
    let source: Source;
    try {
      source = isStdin ? { text: readStdin() } : decodeSource(fs.readFileSync(f));
    } catch (e) {
      errors.push(`error: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      continue;
    }
    const name = isStdin ? '<stdin>' : f;
    const text = source.text.startsWith('\uFEFF') ? source.text.slice(1) : source.text; // a BOM is not content
    texts.set(name, text);
    if (source.badByte !== undefined) {
      diags.push(notUtf8(name, text, source.badByte)); // rewriting it would replace the bytes for good
      continue;
    }
    const r = formatSource(name, text);
    if (!r.ok) {
      for (const d of r.diagnostics) diags.push(d);
      continue;
    }
    if (isStdin) {
      if (opts.check) {
        if (r.changed) {
          differs = true;
          stdout.push(name);
        }
      } else stdout.push(r.text.replace(/\n$/, ''));
      continue;
    }
    if (!r.changed) continue;
    differs = true;
    if (opts.check) {
      stdout.push(f);
      continue;
    }
    const tmp = path.join(path.dirname(f), `.${path.basename(f)}.${process.pid}.tmp`);
    try {
      fs.writeFileSync(tmp, r.text);
      fs.renameSync(tmp, f);
      stdout.push(`formatted ${f}`);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      errors.push(`error: cannot write ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const stderr = printDiagnostics(diags, texts) + (errors.length ? errors.join('\n') + '\n' : '');
  const code = diags.length ? EXIT.errors : errors.length ? EXIT.usage : opts.check && differs ? EXIT.differs : EXIT.ok;
  return { code, stdout: stdout.length ? stdout.join('\n') + '\n' : '', stderr };
}
