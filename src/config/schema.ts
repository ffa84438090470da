import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

const SCHEMA_FILE = join('schema', 'lk-cluster.schema.json');

let cachedPath: string | undefined;
let cachedSchema: Record<string, unknown> | undefined;
let cachedValidator: ValidateFunction | undefined;

/** Absolute path of `schema/lk-cluster.schema.json` in the installed package (source and compiled layouts alike). */
export function schemaPath(): string {
  if (cachedPath) return cachedPath;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, SCHEMA_FILE);
    if (existsSync(candidate)) {
      cachedPath = candidate;
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${SCHEMA_FILE} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The config's JSON Schema, as shipped. */
export function configSchema(): Record<string, unknown> {
  cachedSchema ??= JSON.parse(readFileSync(schemaPath(), 'utf8')) as Record<string, unknown>;
  return cachedSchema;
}

/** The compiled schema validator, built once per process. */
export function schemaValidator(): ValidateFunction {
  if (!cachedValidator) {
    // verbose: errors carry their parent schema, which names the known keys for did-you-mean.
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
    cachedValidator = ajv.compile(configSchema());
  }
  return cachedValidator;
}
