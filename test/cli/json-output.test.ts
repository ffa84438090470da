import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeJson } from '../../cli/json-output.js';

function written(value: unknown): string {
  let text = '';
  writeJson(value, (chunk) => {
    text += chunk;
  });
  return text;
}

describe('--json output', () => {
  it('prints what JSON.stringify(value, null, 2) prints, in chunks for long lists', () => {
    const item = (i: number) => ({
      id: `n${i}`,
      text: 'two\nlines "quoted"',
      nested: { list: [1, i], empty: {} },
      none: null,
    });
    const values: unknown[] = [
      [],
      {},
      { error: { code: 'X', message: 'm' } },
      'text',
      42,
      [1, 'a', null, [], [2, [3]]],
      [undefined, () => 1],
      Array.from({ length: 1000 }, (_, i) => item(i)),
    ];
    for (const value of values) assert.equal(written(value), `${JSON.stringify(value, null, 2)}\n`);
  });
});
