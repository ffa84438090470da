import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { editConfigFile } from '../../src/config/edit.js';
import { addRegion, listedRegionNames, removeRegion, validateConfigText } from '../../src/config/index.js';
import { isLkcError } from '../../src/errors.js';
import { fixture } from '../helpers/paths.js';

const commented = `# cluster config
port: 7880 # the HTTP port
region: us-west-2
node_selector:
  kind: regionaware # nearest region first
  # the region table
  regions:
    - name: us-west-2 # Oregon-ish
      lat: 37.64046607830567
      lon: -120.88026233189062
logging:
  level: debug
`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isLkcError(err));
    return err.code;
  }
  assert.fail('expected an LkcError');
}

describe('editing regions in place', () => {
  it('appends a region and keeps every comment and the key order', () => {
    const edited = addRegion(commented, { name: 'us-east', lat: 40.68914362140307, lon: -74.04445748616385 });
    for (const comment of [
      '# cluster config',
      '# the HTTP port',
      '# nearest region first',
      '# the region table',
      '# Oregon-ish',
    ]) {
      assert.ok(edited.includes(comment), `lost ${comment}`);
    }
    assert.deepEqual(listedRegionNames(edited), ['us-west-2', 'us-east']);
    const keys = [...edited.matchAll(/^([a-z_]+):/gm)].map((m) => m[1]);
    assert.deepEqual(keys, ['port', 'region', 'node_selector', 'logging']);
    assert.ok(edited.startsWith(commented.split('    - name: us-west-2')[0]!));
    const result = validateConfigText(edited, 'edited.yaml');
    assert.deepEqual(result.config?.node_selector.regions[1], {
      name: 'us-east',
      lat: 40.68914362140307,
      lon: -74.04445748616385,
    });
  });

  it('keeps the file byte for byte apart from the entry: aligned comments, odd indents, a comment at the end', () => {
    const aligned = [
      'port: 7880   # the port',
      'region: us-west-2    # where this node runs',
      'node_selector:',
      '   kind: regionaware',
      '   regions:',
      '   -   name: us-west-2   # Oregon-ish',
      '       lat: 37.64046607830567',
      '       lon: -120.88026233189062',
      '   -   name: us-east',
      '       lat: 40.68914362140307',
      '       lon: -74.04445748616385   # east',
      '',
      '# a comment at the end of the file',
      '',
    ].join('\n');
    const added = addRegion(aligned, { name: 'eu-west-1', lat: 53.3498, lon: -6.2603 });
    assert.equal(
      added,
      aligned.replace(
        '   # east\n',
        '   # east\n   -   name: eu-west-1\n       lat: 53.3498\n       lon: -6.2603\n',
      ),
    );
    assert.equal(removeRegion(added, 'eu-west-1'), aligned, 'remove undoes add exactly');
    assert.equal(
      removeRegion(aligned, 'us-west-2', 'x', { force: true }),
      aligned.replace(/ {3}- {3}name: us-west-2.*\n.*\n.*\n/, ''),
      'the first entry goes, its lines only',
    );
  });

  it('creates node_selector.regions when the file has none', () => {
    const edited = addRegion('# mine\nport: 7880\n', { name: 'lab', lat: -33.5, lon: 151 });
    assert.ok(edited.startsWith('# mine\nport: 7880\n'));
    assert.deepEqual(validateConfigText(edited, 'x.yaml').config?.node_selector.regions, [
      { name: 'lab', lat: -33.5, lon: 151 },
    ]);
  });

  it('adds to an existing node_selector without regions, and to an empty file', () => {
    const edited = addRegion('node_selector:\n  kind: any\n', { name: 'a', lat: 1, lon: 2 });
    assert.equal(validateConfigText(edited, 'x.yaml').config?.node_selector.kind, 'any');
    assert.deepEqual(listedRegionNames(edited), ['a']);
    assert.deepEqual(listedRegionNames(addRegion('', { name: 'b', lat: 1, lon: 2 })), ['b']);
  });

  it('refuses a region that is already listed', () => {
    assert.equal(
      code(() => addRegion(commented, { name: 'us-west-2', lat: 1, lon: 2 })),
      'REGION_EXISTS',
    );
  });

  it('removes a region and keeps the rest', () => {
    const text = readFileSync(fixture('valid.yaml'), 'utf8');
    const edited = removeRegion(text, 'us-east');
    assert.deepEqual(listedRegionNames(edited), ['us-west-2']);
    assert.ok(edited.startsWith('# The example config from DESIGN.md'));
    assert.ok(validateConfigText(edited, 'x.yaml').config);
  });

  it("refuses to remove an unknown region, or the node's own region under regionaware unless forced", () => {
    assert.equal(
      code(() => removeRegion(commented, 'eu-west-1')),
      'REGION_NOT_FOUND',
    );
    assert.equal(
      code(() => removeRegion(commented, 'us-west-2')),
      'BAD_INPUT',
    );
    assert.deepEqual(listedRegionNames(removeRegion(commented, 'us-west-2', 'x', { force: true })), []);
  });

  it('leaves a file with YAML errors alone', () => {
    const broken = readFileSync(fixture('yaml-syntax-error.yaml'), 'utf8');
    assert.equal(
      code(() => addRegion(broken, { name: 'a', lat: 1, lon: 2 })),
      'CONFIG_INVALID',
    );
  });

  it('names the file, not its temporary copy, when it cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lkc-edit-'));
    try {
      const file = join(dir, 'rw.yaml');
      writeFileSync(file, commented);
      // The temporary copy's path taken by a folder: the write fails as a read-only folder would (tests run as root).
      mkdirSync(`${file}.${process.pid}.tmp`);
      await assert.rejects(
        editConfigFile(file, (text) => `${text}\n`),
        (err: Error) => {
          assert.ok(isLkcError(err));
          assert.equal(
            err.message,
            `${file}: cannot write it (EISDIR); check that the file and its folder are writable`,
          );
          return true;
        },
      );
      assert.equal(readFileSync(file, 'utf8'), commented, 'the file is untouched');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
