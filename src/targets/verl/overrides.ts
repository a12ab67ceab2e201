// Hydra override lines: only values Hydra's override grammar takes as they are (numbers,
// true/false/null, [a,b], {k: v}, bare or single-quoted strings), and floats written so that
// YAML 1.1 and Hydra both read them as floats (`1.0e-06`, never `1e-6`).
import { VERL_KEY, type VerlType } from './keys.js';

export type VerlValue = number | boolean | string | null | VerlValue[] | { [k: string]: VerlValue };

export interface Override {
  key: string;
  value: VerlValue;
}

const BARE = /^[A-Za-z_./-][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|null|nan|inf|-inf)$/i;

/** A float that YAML 1.1 resolves as a float: a `.` in the mantissa and a signed exponent. */
export function formatFloat(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [m, e] = x.toExponential().split('e') as [string, string];
    const exp = Number(e);
    return `${m.includes('.') ? m : `${m}.0`}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

function formatString(s: string): string {
  if (BARE.test(s) && !RESERVED.test(s)) return s;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** One value in Hydra's syntax; `type` decides whether a whole number is an int or a float. */
export function formatValue(v: VerlValue, type?: VerlType): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (type === 'int') {
      if (!Number.isInteger(v)) throw new Error(`an int key got ${v}`);
      return String(v);
    }
    return type === 'float' || !Number.isInteger(v) ? formatFloat(v) : String(v);
  }
  if (typeof v === 'string') return formatString(v);
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x)).join(',')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${k}: ${formatValue(x, typeof x === 'number' ? 'float' : undefined)}`).join(', ')}}`;
}

export function formatOverride(o: Override): string {
  const info = VERL_KEY.get(o.key);
  return `${info?.plus ? '+' : ''}${o.key}=${formatValue(o.value, info?.type)}`;
}

export type ValueKind = 'int' | 'float' | 'bool' | 'str' | 'null' | 'list' | 'dict';

/** What a Hydra value text is, read the way Hydra's grammar reads simple values. */
export function kindOfText(text: string): ValueKind {
  const t = text.trim();
  if (t === 'null') return 'null';
  if (t === 'true' || t === 'false') return 'bool';
  if (/^[+-]?\d+$/.test(t)) return 'int';
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(t)) return 'float';
  if (t.startsWith('[')) return 'list';
  if (t.startsWith('{')) return 'dict';
  return 'str';
}
