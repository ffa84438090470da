import { didYouMean } from '../config/did-you-mean.js';
import type { Config } from '../config/types.js';
import { LkcError } from '../errors.js';
import { builtinRegion, CLOUD_REGIONS, type CloudRegion } from './cloud-regions.js';
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

/**
 * A place named on the command line: `lat,lon`, else a region of `table`, else a built-in cloud region.
 * Undefined when it is none of these.
 */
export function resolvePlace(text: string, table: readonly Region[]): Region | undefined {
  const coordinates = parseCoordinates(text);
  if (coordinates) return { name: text.replace(/\s+/g, ''), ...coordinates };
  return findRegion(text, table);
}

const metres = (km: number): number => Math.round(km * 1000) / 1000;

function unknownPlace(text: string, table: readonly Region[]): LkcError {
  const names = [...table.map((r) => r.name), ...CLOUD_REGIONS.map((r) => r.name)];
  const near = didYouMean(text, names);
  return new LkcError(
    'REGION_NOT_FOUND',
    `unknown region '${text}': it is neither in node_selector.regions nor built in; ` +
      `${near ? `did you mean '${near}'? Else ` : ''}give lat,lon, or see: lk-cluster regions list --builtin`,
  );
}

/** The great-circle distance between two places named on the command line (see resolvePlace). */
export function placeDistance(
  a: string,
  b: string,
  table: readonly Region[],
): { from: Region; to: Region; distance_km: number } {
  const from = resolvePlace(a, table);
  if (!from) throw unknownPlace(a, table);
  const to = resolvePlace(b, table);
  if (!to) throw unknownPlace(b, table);
  return { from, to, distance_km: metres(haversineKm(from, to)) };
}

/** One row of `regions list`: a region, its distance from the origin and, for built-in ones, where it is. */
export interface RegionRow extends RegionDistance {
  provider?: CloudRegion['provider'];
  location?: string;
}

/**
 * The configured regions (or, with `builtin`, the built-in cloud table), nearest first from `from` or the
 * config's region. The origin is null when there is no region to measure from.
 */
export function listRegions(
  config: Pick<Config, 'region' | 'node_selector'>,
  { builtin = false, from }: { builtin?: boolean; from?: string } = {},
): { origin: Region | null; regions: RegionRow[] } {
  const configured = config.node_selector.regions;
  let origin: Region | undefined;
  if (from !== undefined) {
    origin = resolvePlace(from, configured);
    if (!origin) throw unknownPlace(from, configured);
  } else if (config.region) {
    origin = findRegion(config.region, configured);
  }
  const rows = nearestFirst(builtin ? CLOUD_REGIONS : configured, origin).map((row): RegionRow => {
    const out: RegionRow = {
      ...row,
      ...(row.distance_km !== undefined ? { distance_km: metres(row.distance_km) } : {}),
    };
    if (builtin) {
      const known = builtinRegion(row.name)!;
      out.provider = known.provider;
      out.location = known.location;
    }
    return out;
  });
  return { origin: origin ?? null, regions: rows };
}
