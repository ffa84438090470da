import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/index.js';
import { fixture } from '../helpers/paths.js';
import { lines, runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lkc-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const STACK_LINE = /\n\s+at /;

describe('lk-cluster config validate', () => {
  it('accepts the valid fixture with a one-line summary and exit 0', async () => {
    const run = await runCli(['config', 'validate', fixture('valid.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout.trim(),
      `${fixture('valid.yaml')}: valid (region us-west-2, 1 key, redis 127.0.0.1:6379, selector regionaware, 2 regions)`,
    );
    assert.equal(run.stderr, '');
  });

  const broken: Array<[string, string[]]> = [
    ['yaml-syntax-error.yaml', ['3:1']],
    ['unknown-key.yaml', ['3:1', '7:3']],
    ['bad-latitude.yaml', ['8:12', '12:12']],
    ['duplicate-region.yaml', ['13:13']],
    ['short-secret.yaml', ['2:11']],
  ];
  for (const [name, positions] of broken) {
    it(`prints one FILE:LINE:COL line per problem in ${name}, exit 1, no stack trace`, async () => {
      const file = fixture(name);
      const run = await runCli(['config', 'validate', file]);
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      // Every stderr line is a located problem, and there is one per expected position.
      const located = lines(run.stderr).map((line) =>
        line.startsWith(`${file}:`) ? /^:(\d+:\d+): \S/.exec(line.slice(file.length)) : null,
      );
      assert.deepEqual(
        located.map((match) => match?.[1]),
        positions,
        run.stderr,
      );
      assert.ok(!STACK_LINE.test(run.stderr) && !run.stderr.includes('    at '), run.stderr);
    });
  }

  it('prints warnings as FILE:LINE:COL: warning: and still exits 0', async () => {
    const file = fixture('regionaware-single-node.yaml');
    const run = await runCli(['config', 'validate', file]);
    assert.equal(run.code, 0);
    assert.match(
      run.stderr,
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:9: warning: regionaware without redis`),
    );
    assert.match(
      run.stdout,
      /: valid \(region us-west-2, 0 keys, single-node, selector regionaware, 1 region\)/,
    );
  });

  it('prints JSON with --json and exits 1 when invalid', async () => {
    const run = await runCli(['config', 'validate', fixture('unknown-key.yaml'), '--json']);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout);
    assert.equal(report.valid, false);
    assert.equal(report.file, fixture('unknown-key.yaml'));
    assert.deepEqual(
      report.errors.map((e: { line: number; column: number; path: string }) => [e.line, e.column, e.path]),
      [
        [3, 1, 'node_selecter'],
        [7, 3, 'rtc.udp_port_rang_end'],
      ],
    );
    assert.deepEqual(report.warnings, []);
    const valid = await runCli(['config', 'validate', fixture('valid.yaml'), '--json']);
    assert.equal(valid.code, 0);
    assert.equal(JSON.parse(valid.stdout).valid, true);
  });

  it('keeps the --json report shape for a missing file and for a directory', async () => {
    for (const [file, message] of [
      [join(dir, 'absent.yaml'), 'no such config file'],
      [dir, 'is a directory, not a config file'],
    ] as const) {
      const run = await runCli(['config', 'validate', file, '--json']);
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        valid: false,
        file,
        errors: [{ file, line: 0, column: 0, path: '', message }],
        warnings: [],
      });
    }
  });

  it('validates with the environment overrides a node would see', async () => {
    const shared = fixture('shared-no-region.yaml');
    const ok = await runCli(['config', 'validate', shared], { env: { LKC_REGION: 'us-east' } });
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCli(['config', 'validate', shared], { env: { LKC_REGION: 'mars-1' } });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^LKC_REGION: region 'mars-1' is not listed in node_selector.regions/);
  });

  it('reads the file named by --config, and says so when it is missing', async () => {
    const run = await runCli(['config', 'validate', '--config', join(dir, 'absent.yaml')]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim(), `${join(dir, 'absent.yaml')}: no such config file`);
  });
});

describe('lk-cluster config schema', () => {
  it('prints the shipped schema', async () => {
    const run = await runCli(['config', 'schema']);
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.stdout), configSchema());
  });
});

describe('lk-cluster config init', () => {
  it('--yes writes a private file that validate accepts, and refuses to overwrite it without --force', async () => {
    const cwd = mkdtempSync(join(dir, 'init-'));
    const first = await runCli(['config', 'init', '--yes'], { cwd });
    assert.equal(first.code, 0, first.stderr);
    const file = join(cwd, 'lk-cluster.yaml');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^# yaml-language-server: \$schema=\S+lk-cluster\.schema\.json\n/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const [apiKey, secret] = Object.entries(parse(text).keys as Record<string, string>)[0]!;
    assert.ok(first.stdout.includes(apiKey));
    assert.ok(!first.stdout.includes(secret) && !first.stderr.includes(secret), 'the secret was printed');

    const validate = await runCli(['config', 'validate'], { cwd });
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /valid \(region us-west-2, 1 key, single-node, selector any, 2 regions\)/);

    const second = await runCli(['config', 'init', '--yes'], { cwd });
    assert.equal(second.code, 1);
    assert.equal(second.stderr.trim(), 'lk-cluster.yaml already exists; pass --force to overwrite it');
    assert.equal(readFileSync(file, 'utf8'), text);

    const forced = await runCli(
      ['config', 'init', '--yes', '--force', '--region', 'us-east', '--redis', '127.0.0.1:7777'],
      { cwd },
    );
    assert.equal(forced.code, 0, forced.stderr);
    const config = parse(readFileSync(file, 'utf8'));
    assert.equal(config.region, 'us-east');
    assert.equal(config.redis.address, '127.0.0.1:7777');
    assert.equal(config.node_selector.kind, 'regionaware');
  });

  it('takes every answer as a flag and prints JSON', async () => {
    const file = join(dir, 'flags.yaml');
    const secret = 's'.repeat(36);
    const run = await runCli([
      'config',
      'init',
      file,
      '--yes',
      '--port',
      '7999',
      '--region',
      'lab',
      '--regions',
      'lab:52.5:13.4,eu-west-2',
      '--redis',
      '10.0.0.5:6379',
      '--key',
      'APImine',
      '--secret',
      secret,
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(out, {
      file,
      api_key: 'APImine',
      port: 7999,
      region: 'lab',
      regions: ['lab', 'eu-west-2'],
      redis: '10.0.0.5:6379',
      selector: 'regionaware',
    });
    assert.ok(!run.stdout.includes(secret));
    const config = parse(readFileSync(file, 'utf8'));
    assert.deepEqual(config.keys, { APImine: secret });
    assert.deepEqual(config.node_selector.regions[0], { name: 'lab', lat: 52.5, lon: 13.4 });
  });

  it('refuses a --region missing from the region table with --redis, rather than write kind: any', async () => {
    const file = join(dir, 'mars.yaml');
    const run = await runCli([
      'config',
      'init',
      file,
      '--yes',
      '--region',
      'mars',
      '--redis',
      '10.0.0.5:6379',
    ]);
    assert.equal(run.code, 1, run.stdout);
    assert.equal(
      run.stderr,
      "--region: 'mars' is not a built-in region nor in --regions, so rooms cannot be placed by region (regionaware, the default with --redis): give its coordinates, e.g. --regions us-west-2,us-east,mars:LAT:LON, or pass --selector any\n",
    );
    assert.ok(!existsSync(file), 'nothing is written');

    // Given its coordinates it is placed by region, as the help says; asked for `any`, it is `any`.
    const placed = await runCli([
      'config',
      'init',
      file,
      '--yes',
      '--region',
      'mars',
      '--regions',
      'us-east,mars:10:20',
      '--redis',
      '10.0.0.5:6379',
    ]);
    assert.equal(placed.code, 0, placed.stderr);
    assert.equal(parse(readFileSync(file, 'utf8')).node_selector.kind, 'regionaware');
    const any = await runCli([
      'config',
      'init',
      file,
      '--yes',
      '--force',
      '--region',
      'mars',
      '--redis',
      '10.0.0.5:6379',
      '--selector',
      'any',
    ]);
    assert.equal(any.code, 0, any.stderr);
    assert.equal(parse(readFileSync(file, 'utf8')).node_selector.kind, 'any');
  });

  it('asks for --yes when stdin is not a terminal', async () => {
    const cwd = mkdtempSync(join(dir, 'notty-'));
    const run = await runCli(['config', 'init'], { cwd });
    assert.equal(run.code, 1);
    assert.equal(lines(run.stderr).length, 1);
    assert.match(run.stderr, /pass --yes/);
    assert.ok(!existsSync(join(cwd, 'lk-cluster.yaml')));
  });

  it('names the flag when a value is wrong', async () => {
    const run = await runCli(['config', 'init', join(dir, 'short.yaml'), '--yes', '--secret', 'short']);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr.trim(),
      '--secret must be at least 32 characters (or leave it out to generate one)',
    );
  });
});

describe('lk-cluster regions', () => {
  it('add then list shows the new region and keeps the comments; remove takes it out', async () => {
    const file = join(dir, 'regions.yaml');
    writeFileSync(file, readFileSync(fixture('valid.yaml'), 'utf8'));
    const comment = readFileSync(file, 'utf8').split('\n')[0]!;

    const add = await runCli(['regions', 'add', 'lab', '--lat', '52.52', '--lon', '-13.4', '--config', file]);
    assert.equal(add.code, 0, add.stderr);
    const builtin = await runCli(['regions', 'add', 'eu-central-1', '--config', file]);
    assert.equal(builtin.code, 0, builtin.stderr);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith(`${comment}\n`), 'the comment is gone');
    assert.deepEqual(
      parse(text).node_selector.regions.map((r: { name: string }) => r.name),
      ['us-west-2', 'us-east', 'lab', 'eu-central-1'],
    );

    const list = await runCli(['regions', 'list', '--config', file]);
    assert.equal(list.code, 0, list.stderr);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the header's colour codes
    const plain = list.stdout.replace(/\u001b\[\d+m/g, '');
    const rows = lines(plain).filter((line) => /^│ \S/.test(line));
    assert.equal(rows[0]!.split('│')[1]!.trim(), 'name');
    assert.deepEqual(
      rows.slice(1).map((row) => row.split('│')[1]!.trim()),
      ['us-west-2', 'us-east', 'lab', 'eu-central-1'],
    );
    assert.match(plain, /│ lab\s+│ 52\.52\s+│ -13\.4\s+│ \d+\.\d\s+│/);

    const json = await runCli(['regions', 'list', '--config', file, '--json']);
    const listing = JSON.parse(json.stdout);
    assert.equal(listing.origin.name, 'us-west-2');
    const distances = listing.regions.map((r: { distance_km: number }) => r.distance_km);
    assert.deepEqual(
      distances,
      [...distances].sort((a, b) => a - b),
    );

    const remove = await runCli(['regions', 'remove', 'lab', '--config', file]);
    assert.equal(remove.code, 0, remove.stderr);
    assert.ok(readFileSync(file, 'utf8').startsWith(`${comment}\n`));
    const after = JSON.parse((await runCli(['regions', 'list', '--config', file, '--json'])).stdout);
    assert.deepEqual(
      after.regions.map((r: { name: string }) => r.name),
      ['us-west-2', 'us-east', 'eu-central-1'],
    );
    const validate = await runCli(['config', 'validate', file]);
    assert.equal(validate.code, 0, validate.stderr);
  });

  it('refuses bad coordinates with one line naming the flag', async () => {
    const file = join(dir, 'bad-coordinates.yaml');
    writeFileSync(file, 'port: 7880\n');
    const run = await runCli(['regions', 'add', 'x', '--lat', '95', '--lon', '10', '--config', file]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim(), "--lat must be a latitude in degrees from -90 to 90, got '95'");
    const lon = await runCli(['regions', 'add', 'x', '--lat', '1', '--lon', 'east', '--config', file]);
    assert.equal(lon.stderr.trim(), "--lon must be a longitude in degrees from -180 to 180, got 'east'");
    assert.equal(readFileSync(file, 'utf8'), 'port: 7880\n');
  });

  it('measures the distance between two regions, as text and JSON', async () => {
    const text = await runCli([
      'regions',
      'distance',
      'us-west-2',
      'us-east',
      '--config',
      fixture('valid.yaml'),
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^us-west-2 -> us-east: 400\d\.\d km\n$/);
    const json = await runCli(['regions', 'distance', 'eu-west-2', '48.8566,2.3522', '--json']);
    const result = JSON.parse(json.stdout);
    assert.equal(result.from.name, 'eu-west-2');
    assert.ok(Math.abs(result.distance_km - 343.5) < 343.5 * 0.005, String(result.distance_km));
  });

  it('lists the built-in cloud regions', async () => {
    const run = await runCli(['regions', 'list', '--builtin', '--json', '--from', 'eu-west-2']);
    const listing = JSON.parse(run.stdout);
    assert.ok(listing.regions.length > 50);
    assert.equal(listing.regions[0].distance_km, 0);
    assert.ok(listing.regions.some((r: { provider: string }) => r.provider === 'azure'));
  });
});
