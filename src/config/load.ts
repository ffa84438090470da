import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LkcError } from '../errors.js';
import { readEnvOverrides } from './env.js';
import { type ConfigProblem, formatProblem } from './problem.js';
import type { Config } from './types.js';
import { type ValidationResult, validateConfigText } from './validate.js';

/** The config file looked for in the working directory when neither --config nor $LKC_CONFIG is given. */
export const DEFAULT_CONFIG_FILE = 'lk-cluster.yaml';

/** A loaded config: defaults, then the file (if any), then LKC_* overrides. */
export interface LoadedConfig {
  config: Config;
  /** The file read; undefined when none was found (defaults and environment only). */
  file?: string;
  warnings: ConfigProblem[];
}

/** The config file to read: the explicit flag, else $LKC_CONFIG, else ./lk-cluster.yaml if it exists. */
export function resolveConfigPath(
  explicit?: string,
  env = process.env,
  cwd = process.cwd(),
): string | undefined {
  if (explicit) return explicit;
  if (env.LKC_CONFIG) return env.LKC_CONFIG;
  const local = join(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(local) ? local : undefined;
}

/** The config file a command edits; CONFIG_NOT_FOUND (with how to make one) when there is none. */
export function configFileToEdit(explicit?: string, env = process.env, cwd = process.cwd()): string {
  const file = resolveConfigPath(explicit, env, cwd);
  if (!file) {
    throw new LkcError(
      'CONFIG_NOT_FOUND',
      `no config file to edit: pass --config FILE, set LKC_CONFIG, or create ./${DEFAULT_CONFIG_FILE} with: lk-cluster config init`,
    );
  }
  return file;
}

async function readConfigFile(file: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LkcError('CONFIG_NOT_FOUND', `${file}: no such config file`);
    if (code === 'EISDIR')
      throw new LkcError('CONFIG_NOT_FOUND', `${file}: is a directory, not a config file`);
    throw new LkcError('CONFIG_NOT_FOUND', `${file}: cannot read it (${code ?? String(err)})`, {
      cause: err,
    });
  }
}

/**
 * Validates a config file as a node would load it (LKC_* overrides included) and reports every problem
 * rather than throwing on the first; only a missing file or a bad LKC_* value throws.
 */
export async function checkConfigFile(
  file: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ValidationResult> {
  const overrides = readEnvOverrides(options.env ?? process.env);
  const text = await readConfigFile(file, options.cwd ?? process.cwd());
  return validateConfigText(text, file, overrides);
}

/**
 * Loads the node's config. No file: defaults (single-node mode) plus the environment. A file named by the
 * flag or $LKC_CONFIG that does not exist is CONFIG_NOT_FOUND; an invalid one is CONFIG_INVALID with one
 * `FILE:LINE:COL: message (at path)` line per problem; a bad LKC_* value is BAD_INPUT naming the variable.
 */
export async function loadConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const overrides = readEnvOverrides(env);
  const file = resolveConfigPath(options.file, env, cwd);
  const text = file === undefined ? '' : await readConfigFile(file, cwd);
  const result = validateConfigText(text, file ?? '(defaults)', overrides);
  if (!result.config) {
    throw new LkcError('CONFIG_INVALID', result.errors.map(formatProblem).join('\n'));
  }
  return file !== undefined
    ? { config: result.config, file, warnings: result.warnings }
    : { config: result.config, warnings: result.warnings };
}
