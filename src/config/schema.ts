import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv, Options, ValidateFunction } from 'ajv';

const SCHEMA_FILE = join('schema', 'lk-cluster.schema.json');

/** The ajv options of the validator, compiled here or ahead of time (scripts/build-config-validator.mjs). */
// verbose: errors carry their parent schema, which names the known keys for did-you-mean.
export const VALIDATOR_OPTIONS: Options = { allErrors: true, verbose: true, strict: true };

/** Where `npm run build` writes the validator compiled ahead of time: beside the compiled module. */
export const PRECOMPILED_VALIDATOR = 'config-validator.cjs';

let cachedPath: string | undefined;
let cachedText: string | undefined;
let cachedSchema: Record<string, unknown> | undefined;
let cachedValidator: ValidateFunction | undefined;

const require = createRequire(import.meta.url);

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

function schemaText(): string {
  cachedText ??= readFileSync(schemaPath(), 'utf8');
  return cachedText;
}

/** The sha256 of the schema file, which a precompiled validator names so that a stale one is never used. */
export function schemaHash(): string {
  return createHash('sha256').update(schemaText()).digest('hex');
}

/** The config's JSON Schema, as shipped. */
export function configSchema(): Record<string, unknown> {
  cachedSchema ??= JSON.parse(schemaText()) as Record<string, unknown>;
  return cachedSchema;
}

/** A new ajv instance set up as the validator needs; ajv loads only here (68 files, ~60 ms of a CLI command). */
export function newAjv(options: Options = {}): Ajv {
  const { Ajv } = require('ajv') as typeof import('ajv');
  return new Ajv({ ...VALIDATOR_OPTIONS, ...options });
}

/**
 * The compiled schema validator, built once per process: the one `npm run build` compiled ahead of time when it
 * was compiled from this schema, else compiled now (a build by `tsc` alone, or a schema edited since).
 */
export function schemaValidator(): ValidateFunction {
  cachedValidator ??= precompiledValidator() ?? newAjv().compile(configSchema());
  return cachedValidator;
}

function precompiledValidator(): ValidateFunction | undefined {
  const file = join(dirname(fileURLToPath(import.meta.url)), PRECOMPILED_VALIDATOR);
  if (!existsSync(file)) return undefined;
  const compiled = require(file) as ValidateFunction & { schemaHash?: string };
  return compiled.schemaHash === schemaHash() ? compiled : undefined;
}
