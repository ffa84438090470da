import { createRequire } from 'node:module';
import type CliTable3 from 'cli-table3';
import { type BoxOptions, type Cell, drawBoxTable } from './box-table.js';

type CellValue = string | number | boolean | null | undefined;

// Colour only for a person at a terminal: piped output and NO_COLOR get plain text that scripts can read.
const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const headStyle = colour ? ['cyan'] : [];
// What cli-table3's `style.head: ['cyan']` wraps a header cell in.
const cyan = (text: string) => `\u001b[36m${text}\u001b[39m`;

// No rule between rows: a live view fits twice as many nodes on a screen.
const COMPACT_CHARS = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

const text = (cell: CellValue): Cell => (cell === null || cell === undefined ? '-' : String(cell));

// cli-table3 draws only what box-table does not (multi-line cells, ragged rows); loading it costs a command
// ~30 ms, so it loads then.
function cliTable3(options: CliTable3.TableConstructorOptions): CliTable3.Table {
  const Table = createRequire(import.meta.url)('cli-table3') as typeof CliTable3;
  return new Table(options);
}

function draw(head: Cell[], rows: Cell[][], options: BoxOptions, chars?: typeof COMPACT_CHARS): string {
  const drawn = drawBoxTable(head, rows, options);
  if (drawn !== undefined) return drawn;
  const style = { head: options.colorHead ? headStyle : [], border: [] };
  const table = cliTable3({ ...(head.length > 0 && { head }), ...(chars && { chars }), style });
  table.push(...rows);
  return table.toString();
}

/**
 * Past this many rows a list drops the rule between rows: at a thousand nodes the rules are half the output and
 * none of the reading (and drawing and writing them was a tenth of `nodes list` at 10,000 nodes).
 */
const RULED_ROWS = 50;

/** Renders rows as a boxed table; every list command prints one of these unless --json is given. */
export function renderTable(head: string[], rows: CellValue[][]): string {
  return draw(
    head,
    rows.map((row) => row.map(text)),
    { ruleBetweenRows: rows.length <= RULED_ROWS, colorHead: colour ? cyan : undefined },
  );
}

/** Renders key/value pairs as a two-column table (for `show` commands). */
export function renderDetails(pairs: Array<[string, CellValue]>): string {
  return draw(
    [],
    pairs.map(([key, value]) => [key, text(value)]),
    { ruleBetweenRows: true },
  );
}

/** Renders rows as a table with no rule between them, uncoloured (a live view cuts lines to the screen's width). */
export function renderCompactTable(head: string[], rows: CellValue[][]): string {
  return draw(
    head,
    rows.map((row) => row.map(text)),
    { ruleBetweenRows: false },
    COMPACT_CHARS,
  );
}
