import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type ConfigProblem, formatProblem, validateConfigText } from '../../src/config/index.js';
import { fixture } from '../helpers/paths.js';

function validateFixture(name: string) {
  return validateConfigText(readFileSync(fixture(name), 'utf8'), name);
}

const where = (p: ConfigProblem) => `${p.line}:${p.column} ${p.path}`;

describe('validateConfigText', () => {
  it('accepts the DESIGN.md example and fills in every default', () => {
    const result = validateFixture('valid.yaml');
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings, []);
    const config = result.config!;
    assert.equal(config.region, 'us-west-2');
    assert.equal(config.node_selector.kind, 'regionaware');
    assert.equal(config.node_selector.sysload_limit, 0.5);
    assert.equal(config.node_selector.sort_by, 'random');
    assert.deepEqual(config.node_selector.regions[1], {
      name: 'us-east',
      lat: 40.68914362140307,
      lon: -74.04445748616385,
    });
    assert.equal(config.redis?.address, '127.0.0.1:6379');
    assert.equal(config.redis?.key_prefix, '{lkc}:');
    assert.equal(config.room.empty_timeout, 300);
    assert.equal(config.rtc.udp_port_range_start, 50000);
  });

  it('accepts a file that sets every key, keeping each value', () => {
    const result = validateFixture('valid-full.yaml');
    assert.deepEqual(result.errors.map(formatProblem), []);
    const config = result.config!;
    assert.equal(config.port, 7990);
    assert.deepEqual(config.bind_addresses, ['127.0.0.1', '::1']);
    assert.equal(config.redis?.key_prefix, '{prod}:');
    assert.equal(config.redis?.tls?.ca_file, '/etc/ssl/redis-ca.pem');
    assert.equal(config.node_selector.algorithm, 'twochoice');
    assert.equal(config.limit.bytes_per_sec, 125000000);
    assert.equal(config.room.auto_create, false);
    assert.equal(config.rtc.num_workers, 4);
    assert.equal(config.node_stats.lease_ttl, 3.5);
    assert.equal(config.logging.level, 'debug');
  });

  it('treats an empty file as all defaults in single-node mode', () => {
    const result = validateConfigText('# nothing here\n', 'empty.yaml');
    assert.equal(result.errors.length, 0);
    assert.equal(result.config!.redis, undefined);
    assert.equal(result.config!.port, 7880);
  });

  it('locates a YAML syntax error at its line and column', () => {
    const result = validateFixture('yaml-syntax-error.yaml');
    assert.equal(result.config, undefined);
    assert.deepEqual(result.errors.map(where), ['3:1 ']);
    assert.match(
      result.errors[0]!.message,
      /^YAML: Tabs are not allowed as indentation; indent with spaces$/,
    );
  });

  it('reports a duplicate key as a YAML error on the second occurrence', () => {
    const result = validateFixture('yaml-duplicate-key.yaml');
    assert.deepEqual(result.errors.map(where), ['4:1 ']);
    assert.match(result.errors[0]!.message, /Map keys must be unique/);
  });

  it('names unknown keys at the key and suggests the nearest known one', () => {
    const result = validateFixture('unknown-key.yaml');
    assert.deepEqual(result.errors.map(where), ['3:1 node_selecter', '7:3 rtc.udp_port_rang_end']);
    assert.equal(result.errors[0]!.message, "unknown key 'node_selecter', did you mean 'node_selector'?");
    assert.equal(
      result.errors[1]!.message,
      "unknown key 'udp_port_rang_end', did you mean 'udp_port_range_end'?",
    );
  });

  it('lists the known keys when an unknown key resembles none of them', () => {
    const result = validateConfigText('logging:\n  colour: true\n', 'x.yaml');
    assert.equal(result.errors[0]!.message, "unknown key 'colour'; known keys here: level, json");
  });

  it('refuses latitudes and longitudes out of range, at the value', () => {
    const result = validateFixture('bad-latitude.yaml');
    assert.deepEqual(result.errors.map(where), [
      '8:12 node_selector.regions[0].lat',
      '12:12 node_selector.regions[1].lon',
    ]);
    assert.match(result.errors[0]!.message, /^latitude must be between -90 and 90 degrees/);
    assert.match(result.errors[1]!.message, /^longitude must be between -180 and 180 degrees/);
  });

  it('refuses a region listed twice, at the second name', () => {
    const result = validateFixture('duplicate-region.yaml');
    assert.deepEqual(result.errors.map(where), ['13:13 node_selector.regions[2].name']);
    assert.match(result.errors[0]!.message, /region 'us-west-2' is listed twice \(first as regions\[0\]\)/);
  });

  it('refuses a secret under 32 characters without printing it', () => {
    const text = readFileSync(fixture('short-secret.yaml'), 'utf8');
    const result = validateConfigText(text, 'short-secret.yaml');
    assert.deepEqual(result.errors.map(where), ['2:11 keys.devkey']);
    assert.ok(!formatProblem(result.errors[0]!).includes('tooshort'));
  });

  it('refuses load limits outside (0, 1] and a reversed UDP port range', () => {
    const result = validateFixture('bad-limits.yaml');
    assert.deepEqual(result.errors.map(where), [
      '3:18 node_selector.sysload_limit',
      '4:19 node_selector.cpu_load_limit',
      '7:23 rtc.udp_port_range_end',
    ]);
    assert.equal(
      result.errors[0]!.message.startsWith(
        'sysload_limit must be in (0, 1]: a node is eligible only below it',
      ),
      true,
    );
  });

  it('requires a regionaware node to be in a listed region', () => {
    const result = validateFixture('regionaware-unlisted-region.yaml');
    assert.deepEqual(result.errors.map(where), ['1:9 region']);
    assert.match(
      result.errors[0]!.message,
      /region 'eu-west-1' is not listed in node_selector.regions \(us-west-2, us-east\)/,
    );
  });

  it('points at node_selector.kind when regionaware has no region at all', () => {
    const result = validateFixture('shared-no-region.yaml');
    assert.deepEqual(result.errors.map(where), ['5:9 region']);
    assert.match(result.errors[0]!.message, /regionaware needs 'region'/);
  });

  it('warns (but accepts) regionaware without redis', () => {
    const result = validateFixture('regionaware-single-node.yaml');
    assert.ok(result.config);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings.map(where), ['4:9 node_selector.kind']);
    assert.equal(result.warnings[0]!.severity, 'warning');
    assert.match(
      formatProblem(result.warnings[0]!),
      /^regionaware-single-node\.yaml:4:9: warning: regionaware without redis/,
    );
  });

  it('explains wrong types, bad enum values and missing keys in one pass, without echoing secrets', () => {
    const result = validateFixture('wrong-types.yaml');
    assert.deepEqual(result.errors.map(where), [
      '1:7 port',
      '3:11 keys.devkey',
      '5:9 node_selector.kind',
      '7:7 node_selector.regions[0].lon',
      '10:16 room.auto_create',
    ]);
    const messages = result.errors.map((p) => p.message);
    assert.equal(messages[0], 'port must be a whole number, not a string');
    assert.ok(!messages[1]!.includes('12345'));
    assert.match(
      messages[2]!,
      /must be one of any, cpuload, sysload, regionaware \(got 'regionawre'\), did you mean 'regionaware'\?/,
    );
    assert.match(messages[3]!, /^missing key 'lon'/);
  });

  it('refuses a document that is not a mapping', () => {
    const result = validateConfigText('- port\n- region\n', 'list.yaml');
    assert.deepEqual(result.errors.map(where), ['1:1 ']);
  });

  it('requires a lease longer than the stats interval', () => {
    const result = validateConfigText('node_stats:\n  update_interval: 5\n  lease_ttl: 5\n', 'x.yaml');
    assert.deepEqual(result.errors.map(where), ['3:14 node_stats.lease_ttl']);
  });

  it('requires a way to reach redis when redis is given', () => {
    const empty = validateConfigText('redis:\n  db: 1\n', 'x.yaml');
    assert.deepEqual(empty.errors.map(where), ['2:3 redis']);
    const badAddress = validateConfigText('redis:\n  address: localhost\n', 'x.yaml');
    assert.deepEqual(badAddress.errors.map(where), ['2:12 redis.address']);
    const sentinel = validateConfigText('redis:\n  sentinel_master_name: m\n', 'x.yaml');
    assert.deepEqual(sentinel.errors.map(where), ['2:25 redis.sentinel_master_name']);
  });

  it('takes a webhook signed by one of keys, to http(s) URLs', () => {
    const keys = 'keys:\n  APIkey1: 0123456789abcdef0123456789abcdef\n';
    const good = validateConfigText(
      `${keys}webhook:\n  api_key: APIkey1\n  urls:\n    - https://backend.example.com/hook\n    - http://10.0.0.5:8080/lk\n`,
      'x.yaml',
    );
    assert.deepEqual(good.errors.map(formatProblem), []);
    assert.deepEqual(good.config!.webhook, {
      api_key: 'APIkey1',
      urls: ['https://backend.example.com/hook', 'http://10.0.0.5:8080/lk'],
    });
    assert.equal(validateConfigText(keys, 'x.yaml').config!.webhook, undefined);

    const wrongKey = validateConfigText(
      `${keys}webhook:\n  api_key: APIkey2\n  urls: [https://a.example.com/]\n`,
      'x.yaml',
    );
    assert.deepEqual(wrongKey.errors.map(where), ['4:12 webhook.api_key']);
    assert.equal(
      formatProblem(wrongKey.errors[0]!),
      "x.yaml:4:12: webhook.api_key 'APIkey2' is not one of keys: webhooks are signed with its secret; did you mean 'APIkey1'? (at webhook.api_key)",
    );

    const badUrls = validateConfigText(
      `${keys}webhook:\n  api_key: APIkey1\n  urls:\n    - ftp://a.example.com/\n    - not a url\n`,
      'x.yaml',
    );
    assert.deepEqual(badUrls.errors.map(where), ['6:7 webhook.urls[0]', '7:7 webhook.urls[1]']);
    assert.match(badUrls.errors[0]!.message, /must be an http:\/\/ or https:\/\/ URL/);

    const empty = validateConfigText(`${keys}webhook:\n  api_key: APIkey1\n  urls: []\n`, 'x.yaml');
    assert.deepEqual(empty.errors.map(where), ['5:9 webhook.urls']);
    assert.match(empty.errors[0]!.message, /webhook.urls is empty/);

    const missing = validateConfigText(`${keys}webhook:\n  api_key: APIkey1\n`, 'x.yaml');
    assert.deepEqual(missing.errors.map(where), ['4:3 webhook.urls']);
    assert.match(missing.errors[0]!.message, /^missing key 'urls'/);
  });

  it('formats a problem as FILE:LINE:COL: message (at path)', () => {
    const problem: ConfigProblem = {
      file: 'a.yaml',
      line: 3,
      column: 5,
      path: 'port',
      message: 'bad',
      severity: 'error',
    };
    assert.equal(formatProblem(problem), 'a.yaml:3:5: bad (at port)');
    assert.equal(formatProblem({ ...problem, severity: 'warning' }), 'a.yaml:3:5: warning: bad (at port)');
  });
});
