import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { PathSegments } from './problem.js';

/** A 1-based line and column in the config text. */
export interface Position {
  line: number;
  column: number;
}

/** Finds where a JSON path sits in a parsed YAML document, so that problems point at their line and column. */
export class PositionMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Position of an offset into the text. */
  at(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * Position of the value at `path` (of its key when `key` is set, as for an unknown key). When the path
   * is not in the file, the position of its nearest ancestor that is: a missing key is reported where its
   * parent is.
   */
  of(path: PathSegments, { key = false }: { key?: boolean } = {}): Position {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) break;
        const keyStart = rangeStart(pair.key);
        if (last && key && keyStart !== undefined) return this.at(keyStart);
        const valueStart = rangeStart(pair.value);
        // `redis:` with nothing after it has no value node worth pointing at; its key is.
        if (valueStart === undefined || (isScalar(pair.value) && pair.value.value === null)) {
          offset = keyStart ?? offset;
          node = pair.value;
          if (!isMap(node) && !isSeq(node)) break;
          continue;
        }
        offset = valueStart;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        const start = rangeStart(item);
        if (start === undefined) break;
        offset = start;
        node = item;
      } else {
        break;
      }
    }
    return this.at(offset);
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
