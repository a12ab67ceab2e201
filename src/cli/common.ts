// What every command shares: how diagnostics are printed and how outcomes become exit codes.
import { renderAllHuman, renderJson } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/messages.js';

/** Exit codes: 0 clean, 1 errors in the input, 2 usage or internal failure, 3 `fmt --check` found differences. */
export const EXIT = { ok: 0, errors: 1, usage: 2, differs: 3 } as const;

/** Result of a command: what to print and how to exit. Commands never call process.exit. */
export interface Outcome {
  code: number;
  stdout?: string;
  stderr?: string;
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env['NO_COLOR'] !== undefined || process.env['CI']) return false;
  if (process.env['FORCE_COLOR']) return true;
  return !!stream.isTTY;
}

export function printDiagnostics(ds: readonly Diagnostic[], texts: ReadonlyMap<string, string>): string {
  return renderAllHuman(ds, texts, { color: useColor(process.stderr) });
}

export function diagnosticsJson(ds: readonly Diagnostic[], texts: ReadonlyMap<string, string>): string {
  return JSON.stringify(renderJson(ds, texts), null, 2) + '\n';
}
