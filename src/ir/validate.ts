// Validates an execution graph against the IR schema, on every compile and before every run. The
// validator is ajv's code generated from the schema at build time (src/ir/validator.generated.ts,
// checked fresh by a test), so no process pays for compiling the schema.
import type { ErrorObject } from 'ajv';
import type { IR } from './graph.js';
import { validate } from './validator.generated.js';

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export function validateIR(ir: unknown): { ok: true; ir: IR } | { ok: false; errors: string[] } {
  const v = validate as Validator;
  if (v(ir)) return { ok: true, ir: ir as IR };
  return { ok: false, errors: (v.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`) };
}
