// The one catalog of diagnostic codes. Codes are stable: tests and users' scripts rely on them.
// docs/errors.md is checked against this list by a test.
import type { Span } from '../ast/ast.js';

export type Severity = 'error' | 'warning';

export interface CodeInfo {
  severity: Severity;
  /** A short name for the code, used as the heading in docs/errors.md. */
  title: string;
}

export const CODES = {
  // Syntax
  E0101: { severity: 'error', title: 'unexpected character' },
  E0102: { severity: 'error', title: 'unterminated string' },
  E0103: { severity: 'error', title: 'unexpected token' },
  E0104: { severity: 'error', title: 'unclosed delimiter' },
  E0105: { severity: 'error', title: 'invalid escape in string' },
  E0106: { severity: 'error', title: 'invalid number' },
  E0107: { severity: 'error', title: 'nested too deeply' },
  E0108: { severity: 'error', title: 'token too long' },
  E0109: { severity: 'error', title: 'file too long' },
  // Names, imports and references
  E0201: { severity: 'error', title: 'unknown declaration kind' },
  E0202: { severity: 'error', title: 'undefined name' },
  E0203: { severity: 'error', title: 'duplicate declaration' },
  E0204: { severity: 'error', title: 'duplicate key' },
  E0205: { severity: 'error', title: 'reference to the wrong kind of declaration' },
  E0206: { severity: 'error', title: 'import not found' },
  E0207: { severity: 'error', title: 'import cycle' },
  E0208: { severity: 'error', title: 'duplicate import name' },
  E0209: { severity: 'error', title: 'unknown block' },
  E0210: { severity: 'error', title: 'unknown function' },
  E0211: { severity: 'error', title: 'bad arguments' },
  E0212: { severity: 'error', title: 'recursive definition' },
  // Values: keys, types, units, ranges
  E0301: { severity: 'error', title: 'unknown key' },
  E0302: { severity: 'error', title: 'wrong type' },
  E0303: { severity: 'error', title: 'wrong unit' },
  E0304: { severity: 'error', title: 'value out of range' },
  E0305: { severity: 'error', title: 'required key missing' },
  E0306: { severity: 'error', title: 'unknown option' },
  E0307: { severity: 'error', title: 'unknown template field' },
  // Whole-pipeline rules
  E0401: { severity: 'error', title: 'batch not divisible by mini-batch' },
  E0402: { severity: 'error', title: 'schedule and train steps disagree' },
  E0403: { severity: 'error', title: 'cycle in train order' },
  E0404: { severity: 'error', title: 'no pipeline declaration' },
  E0405: { severity: 'error', title: 'more than one pipeline declaration' },
  E0406: { severity: 'error', title: 'missing data for a stage' },
  E0407: { severity: 'error', title: 'invalid override' },
  E0408: { severity: 'error', title: 'budget exceeds the model context' },
  E0409: { severity: 'error', title: 'learning rate far too large' },
  E0411: { severity: 'error', title: 'reward listed twice' },
  E0412: { severity: 'error', title: 'phase role contradicts its curve' },
  E0413: { severity: 'error', title: 'overlong buffer not below the budget' },
  E0414: { severity: 'error', title: 'every response of a group is the same' },
  E0415: { severity: 'error', title: 'holdout leaves no training rows' },
  E0416: { severity: 'error', title: 'checkpoint names collide' },
  // Warnings
  W0001: { severity: 'warning', title: 'discontinuous budget between phases' },
  W0002: { severity: 'warning', title: 'unused declaration' },
  W0003: { severity: 'warning', title: 'phase name contradicts its curve' },
  W0004: { severity: 'warning', title: 'setting has no effect' },
  W0005: { severity: 'warning', title: 'unusually large learning rate' },
  W0006: { severity: 'warning', title: 'batch larger than the data' },
  W0007: { severity: 'warning', title: 'warm-up not shorter than the stage' },
  // Files the pipeline references (read by check, plan and run; never executed)
  E0501: { severity: 'error', title: 'data file not found' },
  E0502: { severity: 'error', title: 'data file unreadable' },
  E0503: { severity: 'error', title: 'field missing from the data' },
  E0504: { severity: 'error', title: 'model folder not found' },
  E0505: { severity: 'error', title: 'model config not usable' },
  E0506: { severity: 'error', title: 'no model weights' },
  E0507: { severity: 'error', title: 'tokenizer not found' },
  E0508: { severity: 'error', title: 'reward module not found' },
  E0509: { severity: 'error', title: 'reward module not loadable' },
  // The verl compile target (`--target verl`): what a verl job cannot express, and its checks
  E0601: { severity: 'error', title: 'scratch model in a verl job' },
  E0602: { severity: 'error', title: 'chars tokenizer in a verl job' },
  E0603: { severity: 'error', title: 'JavaScript reward in a verl job' },
  E0604: { severity: 'error', title: 'overlong filter in a verl job' },
  E0605: { severity: 'error', title: 'linear learning-rate schedule in a verl job' },
  E0606: { severity: 'error', title: 'evals with different settings in a verl job' },
  E0607: { severity: 'error', title: 'SFT stage in a verl job' },
  E0608: { severity: 'error', title: 'not exactly one GRPO stage for verl' },
  E0609: { severity: 'error', title: 'chat_template = none in a verl job' },
  E0610: { severity: 'error', title: 'key not accepted by the verl config' },
  E0611: { severity: 'error', title: 'verl would reject the job' },
  W0050: { severity: 'warning', title: 'dynamic sampling refill unbounded under verl' },
  W0051: { severity: 'warning', title: 'verl cadence adds checkpoints or evals' },
  // Files and internal failures
  E0901: { severity: 'error', title: 'cannot read file' },
  E0902: { severity: 'error', title: 'not a text file' },
  E0999: { severity: 'error', title: 'internal compiler error' },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

export interface Diagnostic {
  code: Code;
  severity: Severity;
  /** One line, lowercase, no trailing period. */
  message: string;
  span?: Span;
  /** Short text printed under the underline. */
  label?: string;
  /** How to fix it. */
  help?: string;
  /** Other places that explain the error (e.g. the first declaration of a duplicate). */
  related?: { message: string; span: Span }[];
}

export function diag(
  code: Code,
  span: Span | undefined,
  message: string,
  extra: { label?: string; help?: string; related?: Diagnostic['related'] } = {},
): Diagnostic {
  const d: Diagnostic = { code, severity: CODES[code].severity, message };
  if (span) d.span = span;
  if (extra.label !== undefined) d.label = extra.label;
  if (extra.help !== undefined) d.help = extra.help;
  if (extra.related !== undefined && extra.related.length > 0) d.related = extra.related;
  return d;
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === 'error');

/** Sort by file, then position, then code, so output is stable. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    const fa = a.span?.file ?? '';
    const fb = b.span?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const oa = a.span?.start.offset ?? -1;
    const ob = b.span?.start.offset ?? -1;
    if (oa !== ob) return oa - ob;
    return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
  });
}
