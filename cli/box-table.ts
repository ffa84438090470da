import { createRequire } from 'node:module';

/**
 * A boxed table drawn the way cli-table3 draws one with its default options (same characters, one space of
 * padding, columns as wide as their widest cell), in one pass over the rows. cli-table3 lays out every cell
 * against every other (quadratic in rows): 1,000 nodes took ~200 ms to lay out, 10,000 took ~25 s.
 */

export type Cell = string;

/** The rule between rows, or none (a live view fits twice as many rows on a screen). */
export interface BoxOptions {
  ruleBetweenRows: boolean;
  /** Wraps each header line (padding included), as cli-table3's `style.head` colours do. */
  colorHead?: (line: string) => string;
}

// Printable ASCII only: its width is its length, no need for a Unicode width table.
const PLAIN = /^[\x20-\x7e]*$/;

type Strlen = (text: string) => number;
let cliTableStrlen: Strlen | undefined;

/**
 * The width a terminal gives `text`: its length for plain ASCII, else cli-table3's own measure (ANSI colours
 * stripped, wide East Asian characters and emoji count 2, combining marks 0), loaded only when a cell needs it.
 */
export function displayWidth(text: string): number {
  if (PLAIN.test(text)) return text.length;
  cliTableStrlen ??= (createRequire(import.meta.url)('cli-table3/src/utils.js') as { strlen: Strlen }).strlen;
  return cliTableStrlen(text);
}

/**
 * The table as text, or undefined when this renderer would not draw it as cli-table3 does: a cell with a line
 * break (cli-table3 makes the row taller) or a row with more or fewer cells than the others (it spans them).
 */
export function drawBoxTable(head: Cell[], rows: Cell[][], options: BoxOptions): string | undefined {
  const all = head.length > 0 ? [head, ...rows] : rows;
  if (all.length === 0) return '';
  const columns = all[0]!.length;
  const widths = new Array<number>(columns).fill(0);
  // Each cell's width, measured once: a non-ASCII one costs a Unicode scan, and repeats (states, regions) are common.
  const measured = new Map<string, number>();
  const widthOf = (cell: string) => {
    if (PLAIN.test(cell)) return cell.length;
    let width = measured.get(cell);
    if (width === undefined) {
      width = displayWidth(cell);
      measured.set(cell, width);
    }
    return width;
  };
  for (const row of all) {
    if (row.length !== columns) return undefined;
    for (let c = 0; c < columns; c++) {
      const cell = row[c]!;
      if (cell.includes('\n')) return undefined;
      const width = widthOf(cell);
      if (width > widths[c]!) widths[c] = width;
    }
  }
  const rule = (left: string, mid: string, right: string) =>
    left + widths.map((w) => '─'.repeat(w + 2)).join(mid) + right;
  const padded = (cell: Cell, c: number) => ` ${cell}${' '.repeat(widths[c]! - widthOf(cell))} `;
  const line = (row: Cell[]) => {
    let text = '';
    for (let c = 0; c < columns; c++) text += `│${padded(row[c]!, c)}`;
    return `${text}│`;
  };
  const between = rule('├', '┼', '┤');
  const out: string[] = [rule('┌', '┬', '┐')];
  let first = true;
  if (head.length > 0) {
    // cli-table3 colours each header cell's padded text, not the borders between them.
    const colour = options.colorHead;
    out.push(colour ? `${head.map((cell, c) => `│${colour(padded(cell, c))}`).join('')}│` : line(head));
    first = false;
  }
  for (const row of rows) {
    if (!first && options.ruleBetweenRows) out.push(between);
    out.push(line(row));
    first = false;
  }
  out.push(rule('└', '┴', '┘'));
  return out.join('\n');
}
