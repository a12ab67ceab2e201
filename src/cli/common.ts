// What every command shares: how diagnostics are printed and how outcomes become exit codes.
import { renderAllHuman, renderJson } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/messages.js';

/** Exit codes, each with one meaning (documented in `siric --help` by EXIT_CODES_HELP and in the README). */
export const EXIT = { ok: 0, errors: 1, usage: 2, differs: 3, internal: 70, interrupted: 130 } as const;

/** The epilogue of `siric --help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    success (also a run that --max-steps stopped before its last step: resume it later)
  1    errors in the input (diagnostics), or a run-time error (error[CODE])
  2    bad command line (unknown command or option, bad value, missing argument)
  3    \`fmt --check\`: some files are not formatted
  70   internal error: a bug in siric (or a broken install); please report it
  130  interrupted (Ctrl-C)
`;

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
