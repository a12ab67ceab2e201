// A diagnostic raised on a setting inherited from another file (a std/ preset or template) is
// moved to the user's line that pulled it in (`schedules.siri(...)`, `presets.dapo with`), with
// a note at the original line: the user can change their call, not the library.
import type { Diagnostic } from '../diagnostics/messages.js';
import type { Instance } from './values.js';

/** Moves the diagnostics from `from` on that point into a file `inst` inherited settings from. */
export function toUserSite(inst: Instance, ds: Diagnostic[], from: number): void {
  const site = inst.site;
  if (!site) return;
  for (let i = from; i < ds.length; i++) {
    const d = ds[i]!;
    if (!d.span || d.span.file === site.span.file || !site.files.has(d.span.file)) continue;
    ds[i] = { ...d, span: site.span, related: [{ message: `raised inside \`${site.name}\``, span: d.span }, ...(d.related ?? [])] };
  }
}
