// `siric compile FILE [-o OUT] [--emit ir|dot]`: the execution graph as JSON, or as Graphviz DOT.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../compiler.js';
import { toDot } from '../ir/dot.js';
import { canonicalJson } from '../ir/lower.js';
import { EXIT, diagnosticsJson, printDiagnostics, type Outcome } from './common.js';

export interface CompileCmdOptions {
  output?: string;
  emit: 'ir' | 'dot';
  set?: string[];
  json?: boolean;
}

export function compileCommand(file: string, opts: CompileCmdOptions): Outcome {
  const out = compileFile(file, { mode: 'compile', sets: opts.set ?? [] });
  const stderr = opts.json ? '' : printDiagnostics(out.diagnostics, out.texts);
  if (!out.ir) {
    return opts.json ? { code: EXIT.errors, stdout: diagnosticsJson(out.diagnostics, out.texts) } : { code: EXIT.errors, stderr };
  }
  const text = opts.emit === 'dot' ? toDot(out.ir) : canonicalJson(out.ir);
  if (opts.output) {
    // Write next to the target and rename, so a reader never sees half a file.
    const tmp = path.join(path.dirname(opts.output), `.${path.basename(opts.output)}.${process.pid}.tmp`);
    try {
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, opts.output);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      return { code: EXIT.usage, stderr: stderr + `error: cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n` };
    }
    return { code: EXIT.ok, stderr: stderr + `wrote ${opts.output}\n` };
  }
  return { code: EXIT.ok, stdout: text, stderr };
}
