import type { ErrorObject } from 'ajv';
import { type Document, LineCounter, parseDocument, visit, type YAMLError } from 'yaml';
import { applyDefaults } from './defaults.js';
import { suggestion } from './did-you-mean.js';
import { applyEnvOverrides, type EnvOverrides, type EnvVariable } from './env.js';
import { PositionMap } from './positions.js';
import { type ConfigProblem, formatPath, type PathSegments } from './problem.js';
import { schemaValidator } from './schema.js';
import { checkSemantics } from './semantic.js';
import type { Config } from './types.js';

export { type ConfigProblem, formatProblem } from './problem.js';

/** The outcome of validating one config text: a config with defaults applied only when there are no errors. */
export interface ValidationResult {
  config?: Config;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

type Obj = Record<string, unknown>;

/**
 * Validates config YAML: syntax, the JSON Schema, then the semantic checks, every problem located at its
 * line and column. `overrides` (from LKC_* variables) are laid over the file first; a problem in a value
 * that came from the environment names the variable instead of a line.
 */
export function validateConfigText(
  text: string,
  file: string,
  overrides: EnvOverrides = {},
): ValidationResult {
  const lineCounter = new LineCounter();
  // logLevel 'error': yaml would print a process warning (a collection as a mapping key) outside our problem lines.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    keepSourceTokens: false,
    logLevel: 'error',
  });
  const positions = new PositionMap(doc, lineCounter);

  const located = (err: YAMLError, severity: ConfigProblem['severity']): ConfigProblem => {
    const { line, column } = positions.at(err.pos[0]);
    if (STACK_EXHAUSTED.test(err.message))
      return { file, line, column, path: '', message: TOO_DEEP, severity };
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
    const advice = YAML_ADVICE[err.code] ?? '';
    return { file, line, column, path: '', message: `YAML: ${message}${advice}`, severity };
  };
  // One mistake often trips several parser errors at the same spot; the first says it best. Nesting deeper than
  // the parser's stack trips one error per level it unwinds: the outermost says it once.
  const syntaxErrors = capSyntaxErrors(
    outermostTooDeep(dedupeByPosition(doc.errors.map((err) => located(err, 'error')))),
  );
  const yamlWarnings = doc.warnings.map((err) => located(err, 'warning'));
  if (syntaxErrors.length > 0) return { errors: syntaxErrors, warnings: yamlWarnings };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // A document that parsed fails here only on aliases: one naming no anchor, or so many that expanding them
    // would exhaust memory (a "billion laughs" file). Either is a problem of the file, located at its alias.
    const { line, column } = positions.at(aliasOffset(doc));
    const problem: ConfigProblem = {
      file,
      line,
      column,
      path: '',
      message: `YAML: ${(err as Error).message}`,
      severity: 'error',
    };
    return { errors: [problem], warnings: yamlWarnings };
  }
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    const { line, column } = positions.of([]);
    const problem: ConfigProblem = {
      file,
      line,
      column,
      path: '',
      message:
        'the config must be a mapping of keys (port: 7880, region: ..., ...), not a list or a single value',
      severity: 'error',
    };
    return { errors: [problem], warnings: yamlWarnings };
  }

  const { data, sources } = applyEnvOverrides(raw as Obj, overrides);
  const locate = (
    path: PathSegments,
    message: string,
    severity: ConfigProblem['severity'],
    options: { key?: boolean; anchor?: PathSegments } = {},
  ): ConfigProblem => {
    const jsonPath = formatPath(path);
    const variable = sourceOf(jsonPath, sources);
    if (variable) return { file: variable, line: 0, column: 0, path: jsonPath, message, severity };
    const { line, column } = positions.of(options.anchor && !has(data, path) ? options.anchor : path, {
      key: options.key,
    });
    return { file, line, column, path: jsonPath, message, severity };
  };

  const semantic = checkSemantics(data).map((p) =>
    locate(p.path, p.message, p.severity, { anchor: p.anchor }),
  );
  const semanticPaths = new Set(semantic.filter((p) => p.severity === 'error').map((p) => p.path));
  const validate = schemaValidator();
  validate(data);
  const schemaProblems = (validate.errors ?? [])
    .map((err) => schemaProblem(err, locate))
    // The semantic check said it better (e.g. the latitude range, with the value and the rule).
    .filter((p) => !semanticPaths.has(p.path));

  const errors = dedupe([...schemaProblems, ...semantic.filter((p) => p.severity === 'error')]).sort(
    byPosition,
  );
  const warnings = dedupe([...yamlWarnings, ...semantic.filter((p) => p.severity === 'warning')]).sort(
    byPosition,
  );
  return errors.length > 0 ? { errors, warnings } : { config: applyDefaults(data), errors, warnings };
}

const YAML_ADVICE: Partial<Record<YAMLError['code'], string>> = {
  TAB_AS_INDENT: '; indent with spaces',
  DUPLICATE_KEY: ': this key is already set above in the same mapping; keep one',
  MISSING_CHAR: '; close it where the value ends',
  BAD_INDENT: '; align the key with its siblings',
};

/** After this many syntax errors the rest are counted, not listed: the first ones are what to fix. */
const MAX_SYNTAX_ERRORS = 20;

function capSyntaxErrors(problems: ConfigProblem[]): ConfigProblem[] {
  if (problems.length <= MAX_SYNTAX_ERRORS) return problems;
  const shown = problems.slice(0, MAX_SYNTAX_ERRORS);
  const next = problems[MAX_SYNTAX_ERRORS]!;
  const more = problems.length - MAX_SYNTAX_ERRORS;
  return [
    ...shown,
    { ...next, message: `YAML: ${more} more syntax errors from here on; fix the ones above and check again` },
  ];
}

const STACK_EXHAUSTED = /Maximum call stack size exceeded/;
const TOO_DEEP = 'YAML: nested too deeply to read; flatten this value';

function outermostTooDeep(problems: ConfigProblem[]): ConfigProblem[] {
  const deep = problems.filter((p) => p.message === TOO_DEEP);
  if (deep.length < 2) return problems;
  const outer = deep.reduce((a, b) => (byPosition(b, a) < 0 ? b : a));
  return problems.filter((p) => p.message !== TOO_DEEP || p === outer);
}

function dedupeByPosition(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type Locate = (
  path: PathSegments,
  message: string,
  severity: ConfigProblem['severity'],
  options?: { key?: boolean; anchor?: PathSegments },
) => ConfigProblem;

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping of keys',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
};

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  return `a ${typeof value}`;
}

/** Turns one ajv error into advice located in the file. */
function schemaProblem(err: ErrorObject, locate: Locate): ConfigProblem {
  const path = pointerToPath(err.instancePath);
  const name = String(path[path.length - 1] ?? 'the config');
  const parent = err.parentSchema as { properties?: Record<string, { description?: string }> } | undefined;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String((err.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys(parent?.properties ?? {});
      const hint =
        suggestion(key, known) || (known.length > 0 ? `; known keys here: ${known.join(', ')}` : '');
      return locate([...path, key], `unknown key '${key}'${hint}`, 'error', { key: true });
    }
    case 'required': {
      const key = String((err.params as { missingProperty: string }).missingProperty);
      const about = parent?.properties?.[key]?.description;
      const what = about ? `: ${lowerFirst(about).replace(/\.$/, '')}` : '';
      return locate([...path, key], `missing key '${key}'${what}`, 'error', { anchor: path });
    }
    case 'enum': {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const given = typeof err.data === 'string' ? err.data : undefined;
      const hint = given !== undefined ? suggestion(given, allowed) : '';
      const got = given !== undefined ? ` (got '${given}')` : '';
      return locate(path, `${name} must be one of ${allowed.join(', ')}${got}${hint}`, 'error');
    }
    case 'type': {
      const expected = String((err.params as { type: string }).type);
      const want = expected
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ');
      // Never echo the value: it may be a secret or a password.
      return locate(path, `${name} must be ${want}, not ${describe(err.data)}`, 'error');
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = err.params as { comparison: string; limit: number };
      return locate(path, `${name} must be ${comparison} ${limit} (got ${String(err.data)})`, 'error');
    }
    case 'minLength':
      return locate(path, `${name} must not be empty`, 'error');
    case 'propertyNames':
      return locate(path, `${name} has an empty key`, 'error');
    default:
      return locate(path, `${name} ${err.message ?? 'is invalid'}`, 'error');
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** `/node_selector/regions/0/lat` -> ['node_selector', 'regions', 0, 'lat']. */
function pointerToPath(pointer: string): PathSegments {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function has(data: Obj, path: PathSegments): boolean {
  let node: unknown = data;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || !(String(segment) in node)) return false;
    node = (node as Obj)[String(segment)];
  }
  return true;
}

function sourceOf(jsonPath: string, sources: Map<string, EnvVariable>): EnvVariable | undefined {
  for (const [path, variable] of sources) {
    if (jsonPath === path || jsonPath.startsWith(`${path}.`) || jsonPath.startsWith(`${path}[`))
      return variable;
  }
  return undefined;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  // Environment problems (line 0) first: they are about the variables, then the file top to bottom.
  return a.line - b.line || a.column - b.column || a.path.localeCompare(b.path);
}

/** Where the first alias that names no anchor is, else the first alias (offset into the text; 0 if none). */
function aliasOffset(doc: Document): number {
  let first: number | undefined;
  let unresolved: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      const at = node.range?.[0] ?? 0;
      first ??= at;
      if (node.resolve(doc) === undefined) {
        unresolved = at;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return unresolved ?? first ?? 0;
}
