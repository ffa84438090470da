import { builtinRegion, CLOUD_REGIONS } from './cloud-regions.js';
import { type Coordinates, haversineKm } from './haversine.js';

/** A named region with coordinates (the shape of node_selector.regions entries). */
export interface Region extends Coordinates {
  name: string;
}

/** A region with its distance from an origin. */
export interface RegionDistance extends Region {
  /** Great-circle km from the origin; undefined when the origin is unknown. */
  distance_km?: number;
}

/**
 * The region table placement uses: the config's node_selector.regions, or the built-in cloud table when
 * the config lists none.
 */
export function regionTable(configured: readonly Region[]): Region[] {
  if (configured.length > 0) return configured.map(({ name, lat, lon }) => ({ name, lat, lon }));
  return CLOUD_REGIONS.map(({ name, lat, lon }) => ({ name, lat, lon }));
}

/** The region called `name` in `table`, else in the built-in cloud table. */
export function findRegion(name: string, table: readonly Region[] = []): Region | undefined {
  const found = table.find((region) => region.name === name) ?? builtinRegion(name);
  return found ? { name: found.name, lat: found.lat, lon: found.lon } : undefined;
}

/** Regions ordered nearest first from `origin` (ties by name); by name alone when there is no origin. */
export function nearestFirst(regions: readonly Region[], origin: Coordinates | undefined): RegionDistance[] {
  const rows: RegionDistance[] = regions.map((region) => ({
    name: region.name,
    lat: region.lat,
    lon: region.lon,
    ...(origin ? { distance_km: haversineKm(origin, region) } : {}),
  }));
  return rows.sort((a, b) => (a.distance_km ?? 0) - (b.distance_km ?? 0) || a.name.localeCompare(b.name));
}

/** Parses `lat,lon` (degrees) into coordinates; undefined when the text is not two numbers in range. */
export function parseCoordinates(text: string): Coordinates | undefined {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!match) return undefined;
  const lat = Number(match[1]);
  const lon = Number(match[2]);
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  return { lat, lon };
}
