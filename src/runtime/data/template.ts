// Filling `{field}` templates. The compiler lists the placeholders in `fields` and has already
// unescaped `\{`, so a `{` in the text is a placeholder only when its name is listed: substitute
// exactly those names, in one pass (a value that itself contains `{x}` is left alone).

export interface TemplateSpec {
  text: string;
  fields: string[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function fillTemplate(t: TemplateSpec, row: Readonly<Record<string, string>>): string {
  if (t.fields.length === 0) return t.text;
  const re = new RegExp(`\\{(${t.fields.map(escape).join('|')})\\}`, 'g');
  return t.text.replace(re, (_, name: string) => {
    const v = row[name];
    if (v === undefined) throw new Error(`missing field "${name}"`); // callers check rows first
    return v;
  });
}
