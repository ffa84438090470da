import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, parseDocument, stringify, type YAMLMap, type YAMLSeq } from 'yaml';
import { LkcError } from '../errors.js';
import type { RegionConfig } from './types.js';

const REGIONS_PATH = ['node_selector', 'regions'];

function parseForEdit(text: string, file: string) {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new LkcError(
      'CONFIG_INVALID',
      `${file}: has YAML errors, so it is left as it is; see: lk-cluster config validate ${file}`,
    );
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new LkcError('CONFIG_INVALID', `${file}: is not a mapping of keys, so it is left as it is`);
  }
  return doc;
}

function regionName(item: unknown): string | undefined {
  if (!isMap(item)) return undefined;
  const name = (item as YAMLMap).get('name', true);
  return isScalar(name) ? String(name.value) : undefined;
}

// The yaml library re-renders the whole document: aligned comments (`port: 7880   # the port`) lose their
// spacing and a comment at the end of the file moves into the list (issue 17, item 18). A block list whose
// entries are maps begun on their dash line is edited as text instead, entry by entry; anything else falls back
// to the library.

/** The lines of a block list's entry `item`: from the start of its dash line to after its last line's newline. */
function entryLines(text: string, item: { range?: [number, number, number] | null }) {
  if (!item.range) return undefined;
  const lineStart = text.lastIndexOf('\n', item.range[0] - 1) + 1;
  const lead = text.slice(lineStart, item.range[0]);
  if (!/^ *- +$/.test(lead)) return undefined;
  const newline = text.indexOf('\n', Math.max(lineStart, item.range[1] - 1));
  return {
    start: lineStart,
    end: newline < 0 ? text.length : newline + 1,
    dash: lead.indexOf('-'),
    key: lead.length,
  };
}

/** The same regions as `expected`, in order: a text edit is kept only if it reads back as intended. */
function readsAs(text: string, expected: string[]): boolean {
  const doc = parseDocument(text);
  return doc.errors.length === 0 && listedRegionNames(text).join('\n') === expected.join('\n');
}

function appendEntry(text: string, seq: YAMLSeq, region: RegionConfig): string | undefined {
  const last = entryLines(text, seq.items[seq.items.length - 1] as never);
  const first = entryLines(text, seq.items[0] as never);
  if (!last || !first) return undefined;
  const pad = ' '.repeat(first.key);
  const entry =
    `${' '.repeat(first.dash)}-${' '.repeat(first.key - first.dash - 1)}name: ${stringify(region.name).trimEnd()}\n` +
    `${pad}lat: ${region.lat}\n${pad}lon: ${region.lon}\n`;
  const head = text.slice(0, last.end);
  return `${head}${head.endsWith('\n') ? '' : '\n'}${entry}${text.slice(last.end)}`;
}

/**
 * Returns `text` with `region` appended to node_selector.regions (created when absent), keeping comments,
 * key order and the rest of the formatting. Refuses a name that is already listed (REGION_EXISTS).
 */
export function addRegion(text: string, region: RegionConfig, file = 'config'): string {
  const doc = parseForEdit(text, file);
  const existing = doc.getIn(REGIONS_PATH, true);
  const entry = doc.createNode({ name: region.name, lat: region.lat, lon: region.lon });
  if (isSeq(existing)) {
    if ((existing as YAMLSeq).items.some((item) => regionName(item) === region.name)) {
      throw new LkcError(
        'REGION_EXISTS',
        `region '${region.name}' is already in ${file}; remove it first to change its coordinates`,
      );
    }
    if (!existing.flow) {
      const edited = appendEntry(text, existing, region);
      const names = [...existing.items.map(regionName), region.name] as string[];
      if (edited !== undefined && readsAs(edited, names)) return edited;
    }
    // A flow list ([...]) stays a flow list; a block list gets a block entry.
    if (existing.flow) entry.flow = true;
    existing.items.push(entry);
  } else if (existing === undefined || (isScalar(existing) && existing.value === null)) {
    const list = doc.createNode([]) as YAMLSeq;
    list.items.push(entry);
    if (doc.contents === null) doc.contents = doc.createNode({}) as never;
    doc.setIn(REGIONS_PATH, list);
  } else {
    throw new LkcError(
      'CONFIG_INVALID',
      `${file}: node_selector.regions is not a list, so it is left as it is`,
    );
  }
  return doc.toString();
}

/**
 * Returns `text` without the region called `name`, keeping everything else; REGION_NOT_FOUND when absent.
 * Refuses (unless `force`) to remove the node's own region under regionaware, which would leave the file invalid.
 */
export function removeRegion(text: string, name: string, file = 'config', { force = false } = {}): string {
  const doc = parseForEdit(text, file);
  if (!force && doc.get('region') === name && doc.getIn(['node_selector', 'kind']) === 'regionaware') {
    throw new LkcError(
      'BAD_INPUT',
      `region '${name}' is this node's region and node_selector.kind is regionaware; change region first, or pass --force`,
    );
  }
  const existing = doc.getIn(REGIONS_PATH, true);
  const index = isSeq(existing)
    ? (existing as YAMLSeq).items.findIndex((item) => regionName(item) === name)
    : -1;
  if (index < 0) {
    throw new LkcError(
      'REGION_NOT_FOUND',
      `region '${name}' is not in ${file} (node_selector.regions); see: lk-cluster regions list`,
    );
  }
  const seq = existing as YAMLSeq;
  // The last entry leaves `regions: []`, which only the library writes.
  const lines = seq.items.length > 1 && !seq.flow ? entryLines(text, seq.items[index] as never) : undefined;
  if (lines) {
    const edited = text.slice(0, lines.start) + text.slice(lines.end);
    const names = seq.items.map(regionName).filter((_, i) => i !== index) as string[];
    if (readsAs(edited, names)) return edited;
  }
  seq.items.splice(index, 1);
  return doc.toString();
}

/** Names of the regions listed in a config text (for checks before an edit). */
export function listedRegionNames(text: string): string[] {
  const existing = parseDocument(text).getIn(REGIONS_PATH, true);
  return isSeq(existing) ? existing.items.map(regionName).filter((n): n is string => n !== undefined) : [];
}

/**
 * Applies `edit` to a config file in place: reads it, writes the result to a temporary file beside it with
 * the same mode, and renames it over the original, so a crash never leaves half a file.
 */
export async function editConfigFile(file: string, edit: (text: string) => string): Promise<void> {
  let text: string;
  let mode: number;
  try {
    text = await readFile(file, 'utf8');
    mode = (await stat(file)).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new LkcError('CONFIG_NOT_FOUND', `${file}: no such config file`);
    throw err;
  }
  const edited = edit(text);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, edited, { mode });
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => {});
    // The temporary file is ours, not the operator's: name the file they asked to edit.
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new LkcError(
      'BAD_INPUT',
      `${file}: cannot write it (${code}); check that the file and its folder are writable`,
      { cause: err },
    );
  }
}
