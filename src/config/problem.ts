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
  return `${where}: ${level}${p.message}${at}`;
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
