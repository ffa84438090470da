import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EARTH_RADIUS_KM, haversineKm } from '../../src/geo/haversine.js';

// City centres and their published great-circle distances.
const LONDON = { lat: 51.5074, lon: -0.1278 };
const PARIS = { lat: 48.8566, lon: 2.3522 };
const NEW_YORK = { lat: 40.7128, lon: -74.006 };
const LOS_ANGELES = { lat: 34.0522, lon: -118.2437 };
const SYDNEY = { lat: -33.8688, lon: 151.2093 };
const MELBOURNE = { lat: -37.8136, lon: 144.9631 };

function assertWithin(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= expected * tolerance,
    `${what}: ${actual} km, expected ${expected} km ±${tolerance * 100}%`,
  );
}

describe('haversineKm', () => {
  it('measures London-Paris as about 343.5 km', () => {
    assertWithin(haversineKm(LONDON, PARIS), 343.5, 0.005, 'London-Paris');
  });

  it('measures New York-Los Angeles as about 3936 km', () => {
    assertWithin(haversineKm(NEW_YORK, LOS_ANGELES), 3936, 0.005, 'New York-Los Angeles');
  });

  it('measures Sydney-Melbourne as about 713 km, south of the equator', () => {
    assertWithin(haversineKm(SYDNEY, MELBOURNE), 713, 0.005, 'Sydney-Melbourne');
  });

  it('is symmetric and zero from a point to itself', () => {
    assert.equal(haversineKm(LONDON, PARIS), haversineKm(PARIS, LONDON));
    assert.equal(haversineKm(SYDNEY, SYDNEY), 0);
  });

  it('gives half the circumference between antipodes, across the date line', () => {
    assertWithin(
      haversineKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 }),
      Math.PI * EARTH_RADIUS_KM,
      1e-9,
      'antipodes',
    );
    assertWithin(
      haversineKm({ lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 }),
      (Math.PI * EARTH_RADIUS_KM) / 180,
      1e-9,
      'date line',
    );
  });
});
