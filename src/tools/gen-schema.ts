// Writes src/ir/schema.json from the IR's TypeBox definition (src/ir/graph.ts), so the schema that
// ajv checks, the TypeScript types and the published JSON Schema are one definition.
// Run: npm run gen:schema
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IRSchema } from '../ir/graph.js';

export const SCHEMA_PATH = fileURLToPath(new URL('../../src/ir/schema.json', import.meta.url));

export function generateSchemaJson(): string {
  return JSON.stringify(IRSchema, null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_PATH, generateSchemaJson());
  console.log(`wrote     ${SCHEMA_PATH}`);
}
