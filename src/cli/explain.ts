// `siric explain CODE`: the docs/errors.md section of a diagnostic code, in the terminal.
import { plainText, readErrorsDoc } from '../explain/errors-doc.js';
import { didYouMean } from '../util/suggest.js';
import { EXIT, type Outcome } from './common.js';

export function explainCommand(code: string): Outcome {
  let sections: Map<string, string>;
  try {
    sections = readErrorsDoc();
  } catch (e) {
    return { code: EXIT.internal, stderr: `error: cannot read siric's docs/errors.md (${(e as Error).message}): the install is broken; reinstall siric\n` };
  }
  const wanted = code.trim().toUpperCase();
  const section = sections.get(wanted);
  if (section) return { code: EXIT.ok, stdout: plainText(section) };
  const mean = didYouMean(wanted, sections.keys());
  return {
    code: EXIT.usage,
    stderr: `error: there is no diagnostic code \`${code}\`${mean ? `; ${mean}` : ''}\n  = help: codes look like E0301 (compile time), W0002 (warnings) or R0203 (run time); every one is listed in docs/errors.md\n`,
  };
}
