import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Table from 'cli-table3';
import { displayWidth, drawBoxTable } from '../../cli/box-table.js';
import { renderCompactTable, renderDetails, renderTable } from '../../cli/table.js';

const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function cliTable3(head: string[], rows: string[][], compact = false): string {
  const table = new Table({
    ...(head.length > 0 && { head }),
    ...(compact && { chars: COMPACT }),
    style: { head: [], border: [] },
  });
  table.push(...rows);
  return table.toString();
}

// Cells a table meets: ids, numbers, '-', empty, wide CJK, emoji, combining marks, colours, the place arrow.
const SAMPLES = [
  'ND_a1',
  '0.25',
  '-',
  '',
  'us-west-2',
  '東京',
  '🚀 launch',
  'é',
  'cafe\u0301',
  '\u001b[31mred\u001b[39m',
  '→',
];

function sampleRows(count: number, columns: number, seed: number): string[][] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: columns }, () => SAMPLES[next() % SAMPLES.length]!.repeat(1 + (next() % 3))),
  );
}

describe('box tables', () => {
  it('draw small tables exactly as cli-table3 does: with a header, without, compact, empty', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const columns = 1 + (seed % 5);
      const rows = sampleRows(seed % 7, columns, seed);
      const head = seed % 3 === 0 ? [] : sampleRows(1, columns, seed + 100)[0]!;
      for (const compact of [false, true]) {
        assert.equal(
          drawBoxTable(head, rows, { ruleBetweenRows: !compact }),
          cliTable3(head, rows, compact),
          `seed ${seed}${compact ? ', compact' : ''}`,
        );
      }
    }
  });

  it('size columns by terminal width: wide characters count 2, combining marks and colours 0', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('東京'), 4);
    assert.equal(displayWidth('cafe\u0301'), 4);
    assert.equal(displayWidth('\u001b[36mcyan\u001b[39m'), 4);
    assert.equal(
      drawBoxTable(['city', 'n'], [['東京', '1']], { ruleBetweenRows: true }),
      ['┌──────┬───┐', '│ city │ n │', '├──────┼───┤', '│ 東京 │ 1 │', '└──────┴───┘'].join('\n'),
    );
  });

  it('draw many rows as cli-table3 would, without its quadratic layout', () => {
    const head = ['id', 'state', 'region', 'address', 'sysload', 'cpu', 'rooms', 'clients', 'tracks', 'age'];
    const some = sampleRows(200, 10, 7);
    assert.equal(drawBoxTable(head, some, { ruleBetweenRows: true }), cliTable3(head, some));
    // cli-table3 took ~25 s over 10,000 rows (bench/cli.ts times this renderer; a test does not).
    const many = sampleRows(20_000, 10, 11);
    const lines = drawBoxTable(head, many, { ruleBetweenRows: true })!.split('\n');
    assert.equal(lines.length, 1 + 2 + 2 * many.length);
    const sampled = lines.filter((_, i) => i % 997 === 0 || i >= lines.length - 3);
    assert.equal(new Set(sampled.map((line) => displayWidth(line))).size, 1, 'lines as wide as the table');
  });

  it('leave what they cannot draw the same to cli-table3: line breaks in a cell, ragged rows', () => {
    assert.equal(drawBoxTable(['a'], [['one\ntwo']], { ruleBetweenRows: true }), undefined);
    assert.equal(drawBoxTable(['a', 'b'], [['1']], { ruleBetweenRows: true }), undefined);
    assert.equal(renderTable(['a'], [['one\ntwo']]), cliTable3(['a'], [['one\ntwo']]));
    assert.equal(
      renderTable(['a', 'b'], [['1'], ['2', '3', '4']]),
      cliTable3(['a', 'b'], [['1'], ['2', '3', '4']]),
    );
  });

  it('keep the renderers of cli/table.ts as they were', () => {
    const rows = [['n1', null, 3, true, undefined]];
    const cells = [['n1', '-', '3', 'true', '-']];
    const head = ['id', 'state', 'rooms', 'ok', 'age'];
    assert.equal(renderTable(head, rows), cliTable3(head, cells));
    assert.equal(renderCompactTable(head, rows), cliTable3(head, cells, true));
    const details = (pairs: Array<Record<string, string>>) => {
      const table = new Table({ style: { head: [], border: [] } });
      table.push(...pairs);
      return table.toString();
    };
    assert.equal(
      renderDetails([
        ['room', 'standup'],
        ['node', null],
      ]),
      details([{ room: 'standup' }, { node: '-' }]),
    );
    assert.equal(
      renderDetails([
        ['room', 'standup'],
        ['multi\nline', undefined],
      ]),
      details([{ room: 'standup' }, { 'multi\nline': '-' }]),
    );
  });
});
