import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RegionSettings } from '@livekit/protocol';
import { regionSettings } from '../../server/http/region-settings.js';
import { haversineKm } from '../../src/geo/haversine.js';
import { SEED_REGIONS } from '../helpers/config.js';
import { nodeView } from '../helpers/node-records.js';

const EU = { name: 'eu-central', lat: 50.11, lon: 8.68 };
const TABLE = [...SEED_REGIONS, EU];

function rows(settings: RegionSettings) {
  return settings.regions.map((r) => ({ region: r.region, url: r.url, km: Number(r.distance) / 1000 }));
}

describe('region discovery (GET /settings/regions)', () => {
  test('lists each region once, with its least-loaded serving node, nearest to the answering region first', () => {
    const settings = regionSettings(
      [
        nodeView('west-busy', { region: 'us-west-2', sysload: 0.8, port: 7001 }),
        nodeView('west-idle', { region: 'us-west-2', sysload: 0.1, port: 7002 }),
        nodeView('east-a', { region: 'us-east', sysload: 0.3, clients: 9, port: 7003 }),
        nodeView('east-b', { region: 'us-east', sysload: 0.3, clients: 2, port: 7004 }),
        nodeView('eu', { region: 'eu-central', sysload: 0.5, port: 7005 }),
      ],
      'us-east',
      TABLE,
    );
    const listed = rows(settings);
    assert.deepEqual(
      listed.map((r) => [r.region, r.url]),
      [
        ['us-east', 'http://127.0.0.1:7004'],
        ['us-west-2', 'http://127.0.0.1:7002'],
        ['eu-central', 'http://127.0.0.1:7005'],
      ],
    );
    assert.equal(listed[0]!.km, 0);
    const [east, west] = SEED_REGIONS.slice().reverse();
    assert.ok(Math.abs(listed[1]!.km - haversineKm(east!, west!)) < 0.001);
    assert.ok(Math.abs(listed[2]!.km - haversineKm(east!, EU)) < 0.001);
  });

  test('leaves out dead, draining and starting nodes, and regions with no serving node', () => {
    const settings = regionSettings(
      [
        nodeView('west-dead', { region: 'us-west-2', alive: false, port: 7001 }),
        nodeView('west-draining', { region: 'us-west-2', state: 'draining', port: 7002 }),
        nodeView('east-starting', { region: 'us-east', state: 'starting', port: 7003 }),
        nodeView('east-serving', { region: 'us-east', sysload: 0.9, port: 7004 }),
      ],
      'us-west-2',
      TABLE,
    );
    const listed = rows(settings);
    assert.deepEqual(
      listed.map((r) => [r.region, r.url]),
      [['us-east', 'http://127.0.0.1:7004']],
    );
    assert.ok(listed[0]!.km > 3500);
  });

  test('puts regions whose place is unknown last, and answers in the JSON shape the SDKs parse', () => {
    const settings = regionSettings(
      [
        nodeView('mystery', { region: 'on-prem-basement', port: 7001 }),
        nodeView('east', { region: 'us-east', port: 7002 }),
      ],
      'us-west-2',
      TABLE,
    );
    const json = settings.toJson({ useProtoFieldName: true, emitDefaultValues: true });
    assert.deepEqual(
      RegionSettings.fromJson(json).regions.map((r) => r.region),
      ['us-east', 'on-prem-basement'],
    );
    assert.deepEqual((json as { regions: Array<{ distance: string }> }).regions[1], {
      region: 'on-prem-basement',
      url: 'http://127.0.0.1:7001',
      distance: '0',
    });
  });

  test('is empty when no node serves', () => {
    assert.deepEqual(regionSettings([nodeView('gone', { alive: false })], 'us-west-2', TABLE).regions, []);
  });
});
