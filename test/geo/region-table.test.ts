import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLkcError } from '../../src/errors.js';
import { builtinRegion, CLOUD_REGIONS } from '../../src/geo/cloud-regions.js';
import { haversineKm } from '../../src/geo/haversine.js';
import {
  listRegions,
  nearestFirst,
  parseCoordinates,
  placeDistance,
  regionTable,
} from '../../src/geo/region-table.js';

const SEED = [
  { name: 'us-west-2', lat: 37.64046607830567, lon: -120.88026233189062 },
  { name: 'us-east', lat: 40.68914362140307, lon: -74.04445748616385 },
];

describe('the built-in cloud region table', () => {
  it("carries the seed's two regions at the seed's exact coordinates", () => {
    for (const seed of SEED) {
      const region = builtinRegion(seed.name)!;
      assert.deepEqual({ name: region.name, lat: region.lat, lon: region.lon }, seed);
    }
  });

  it('has AWS, GCP and Azure regions with unique names and coordinates on Earth', () => {
    const names = CLOUD_REGIONS.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    for (const provider of ['aws', 'gcp', 'azure'] as const) {
      assert.ok(CLOUD_REGIONS.filter((r) => r.provider === provider).length >= 15, provider);
    }
    for (const r of CLOUD_REGIONS) assert.ok(Math.abs(r.lat) <= 90 && Math.abs(r.lon) <= 180, r.name);
  });

  it('puts regions of the same metro area within 100 km of each other', () => {
    const pairs = [
      ['eu-west-2', 'europe-west2'],
      ['eu-central-1', 'germanywestcentral'],
      ['ap-northeast-1', 'japaneast'],
      ['us-east-1', 'us-east4'],
    ] as const;
    for (const [a, b] of pairs)
      assert.ok(haversineKm(builtinRegion(a)!, builtinRegion(b)!) < 100, `${a} - ${b}`);
  });
});

describe('region lookups', () => {
  it('orders regions nearest first from the origin', () => {
    const table = [...SEED, { name: 'eu-central-1', lat: 50.1109, lon: 8.6821 }];
    const ordered = nearestFirst(table, { lat: 51.5, lon: -0.13 });
    assert.deepEqual(
      ordered.map((r) => r.name),
      ['eu-central-1', 'us-east', 'us-west-2'],
    );
    assert.ok(ordered[0]!.distance_km! < ordered[1]!.distance_km!);
  });

  it('falls back to the built-in table when the config lists no regions', () => {
    assert.equal(regionTable([]).length, CLOUD_REGIONS.length);
    assert.deepEqual(regionTable(SEED), SEED);
  });

  it('lists configured regions with distances from the node region', () => {
    const listing = listRegions({ region: 'us-east', node_selector: { regions: SEED } as never });
    assert.deepEqual(listing.origin, SEED[1]);
    assert.deepEqual(
      listing.regions.map((r) => [r.name, Math.round(r.distance_km!)]),
      [
        ['us-east', 0],
        ['us-west-2', Math.round(haversineKm(SEED[0]!, SEED[1]!))],
      ],
    );
  });

  it('lists without distances when the node has no region', () => {
    const listing = listRegions({ region: '', node_selector: { regions: SEED } as never });
    assert.equal(listing.origin, null);
    assert.equal(listing.regions[0]!.distance_km, undefined);
  });

  it('measures between names, built-in names and lat,lon points', () => {
    const result = placeDistance('us-west-2', '40.68914362140307,-74.04445748616385', SEED);
    assert.equal(result.distance_km, Math.round(haversineKm(SEED[0]!, SEED[1]!) * 1000) / 1000);
    assert.ok(placeDistance('eu-west-2', 'eu-west-3', []).distance_km > 300);
  });

  it('refuses an unknown place with a suggestion', () => {
    try {
      placeDistance('us-wst-2', 'us-east', SEED);
      assert.fail('accepted an unknown region');
    } catch (err) {
      assert.ok(isLkcError(err));
      assert.equal(err.code, 'REGION_NOT_FOUND');
      assert.match(err.message, /did you mean 'us-west-2'\?/);
    }
  });

  it('parses lat,lon and refuses out-of-range coordinates', () => {
    assert.deepEqual(parseCoordinates(' -33.87 , 151.21 '), { lat: -33.87, lon: 151.21 });
    assert.equal(parseCoordinates('91,0'), undefined);
    assert.equal(parseCoordinates('0,181'), undefined);
    assert.equal(parseCoordinates('us-east'), undefined);
  });
});
