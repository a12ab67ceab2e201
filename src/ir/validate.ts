// Validates an execution graph against the IR schema with ajv, on every compile and before every run.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { IRSchema, type IR } from './graph.js';

let validator: ValidateFunction | undefined;

export function validateIR(ir: unknown): { ok: true; ir: IR } | { ok: false; errors: string[] } {
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(IRSchema);
  if (validator(ir)) return { ok: true, ir: ir as IR };
  return { ok: false, errors: (validator.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`) };
}
