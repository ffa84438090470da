/** One thing wrong (or doubtful) in a config, located in its file. */
export interface ConfigProblem {
  /** The config file, or the environment variable the value came from. */
  file: string;
  /** 1-based; 0 when the value came from the environment. */
  line: number;
  /** 1-based; 0 when the value came from the environment. */
  column: number;
  /** JSON path of the offending value, e.g. `node_selector.regions[1].lat` ('' for the whole file). */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

/** One line an editor or terminal can jump to: `FILE:LINE:COL: message (at path)`; warnings say `warning:`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  const level = p.severity === 'warning' ? 'warning: ' : '';
  const at = p.path ? ` (at ${p.path})` : '';
  return oneLine(`${where}: ${level}${p.message}${at}`);
}

// A message quotes keys and values from the file; a line break in one must not split the problem's line.
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    const escapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return escapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A JSON path as a list of keys and indexes. */
export type PathSegments = Array<string | number>;

/** Renders `['node_selector', 'regions', 1, 'lat']` as `node_selector.regions[1].lat`. */
export function formatPath(path: PathSegments): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
