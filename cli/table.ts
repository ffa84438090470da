import Table from 'cli-table3';

// Colour only for a person at a terminal: piped output and NO_COLOR get plain text that scripts can read.
const headStyle = process.stdout.isTTY && !process.env.NO_COLOR ? ['cyan'] : [];

/** Renders rows as a boxed table; every list command prints one of these unless --json is given. */
export function renderTable(
  head: string[],
  rows: Array<Array<string | number | boolean | null | undefined>>,
): string {
  const table = new Table({ head, style: { head: headStyle, border: [] } });
  for (const row of rows)
    table.push(row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  return table.toString();
}

/** Renders key/value pairs as a two-column table (for `show` commands). */
export function renderDetails(pairs: Array<[string, string | number | boolean | null | undefined]>): string {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [key, value] of pairs)
    table.push({ [key]: value === null || value === undefined ? '-' : String(value) });
  return table.toString();
}

// No rule between rows: a live view fits twice as many nodes on a screen.
const COMPACT_CHARS = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** Renders rows as a table with no rule between them, uncoloured (a live view cuts lines to the screen's width). */
export function renderCompactTable(
  head: string[],
  rows: Array<Array<string | number | boolean | null | undefined>>,
): string {
  const table = new Table({ head, chars: COMPACT_CHARS, style: { head: [], border: [] } });
  for (const row of rows)
    table.push(row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  return table.toString();
}
