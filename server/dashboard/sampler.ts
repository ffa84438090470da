import { EventEmitter } from 'node:events';
import type { RegionConfig } from '../../src/config/types.js';
import { findRegion } from '../../src/geo/region-table.js';
import type { LegRecord, NodeCounters, NodeView, RoomRecord } from '../../src/records.js';
import type { DashboardNode, DashboardRegion, History, Rates, Sample, Snapshot } from './wire.js';

/** How long the charts reach back. */
export const DEFAULT_WINDOW_MS = 5 * 60_000;
/** Rooms listed in a snapshot at most (the rest are counted). */
export const MAX_ROOMS = 500;

export interface SamplerSource {
  /** Every node the cluster knows, from the router's cached view (one catch-up script call per look). */
  listNodes(): Promise<NodeView[]>;
  listRooms(): Promise<RoomRecord[]>;
  /** The legs of rooms that span nodes, by room; absent when the cluster has no span store (one node). */
  listAllLegs?(): Promise<Map<string, LegRecord[]>>;
}

export interface SamplerOptions {
  selfId: string;
  /** The config's region table (node_selector.regions); regions outside it come from the built-in table. */
  regions: readonly RegionConfig[];
  intervalMs?: number;
  windowMs?: number;
  now?: () => number;
}

interface Tracked {
  samples: Sample[];
  /** The last report's running totals and when it was made, to turn the next one into rates. */
  counters?: { at: number; totals: NodeCounters };
  rates: Rates;
}

const ZERO: Rates = { placements: 0, joins: 0, relay_frames: 0 };

function rate(now: number, before: number, seconds: number): number {
  return Math.round((Math.max(0, now - before) / seconds) * 100) / 100;
}

/**
 * Keeps the last minutes of every node as the serving node sees it: once a second it reads the router's cached
 * view of the nodes (and the room records while someone watches) and emits a snapshot. The page's charts come
 * from here, so one page costs the cluster nothing beyond this node's once-a-second look at the store.
 */
export class ClusterSampler extends EventEmitter<{ snapshot: [Snapshot] }> {
  private readonly tracked = new Map<string, Tracked>();
  private readonly intervalMs: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private last?: Snapshot;
  private rooms: RoomRecord[] = [];
  private legs = new Map<string, LegRecord[]>();

  constructor(
    private readonly source: SamplerSource,
    private readonly options: SamplerOptions,
  ) {
    super();
    this.intervalMs = options.intervalMs ?? 1000;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** The newest snapshot, if one was taken. */
  latest(): Snapshot | undefined {
    return this.last;
  }

  /** The samples kept of every node. */
  history(): History {
    const samples: Record<string, Sample[]> = {};
    for (const [id, tracked] of this.tracked) samples[id] = [...tracked.samples];
    return { window_ms: this.windowMs, samples };
  }

  /** One look (skipped while the previous one is still out). */
  tick(): Promise<void> {
    this.running ??= this.look().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async look(): Promise<void> {
    let error: string | undefined;
    let views: NodeView[] | undefined;
    try {
      // Room records are read only while a page listens: nobody else needs them once a second.
      const watched = this.listenerCount('snapshot') > 0;
      const [nodes, rooms, legs] = await Promise.all([
        this.source.listNodes(),
        watched ? this.source.listRooms() : Promise.resolve(undefined),
        watched && this.source.listAllLegs ? this.source.listAllLegs() : Promise.resolve(undefined),
      ]);
      views = nodes;
      if (rooms) this.rooms = rooms;
      if (legs) this.legs = legs;
    } catch (err) {
      error = `the shared store did not answer: ${(err as Error).message}`;
    }
    const at = this.now();
    if (views) this.record(views, at);
    this.last = this.build(views, at, error);
    this.emit('snapshot', this.last);
  }

  private record(views: NodeView[], at: number): void {
    const seen = new Set<string>();
    for (const view of views) {
      seen.add(view.id);
      let tracked = this.tracked.get(view.id);
      if (!tracked) {
        tracked = { samples: [], rates: { ...ZERO } };
        this.tracked.set(view.id, tracked);
      }
      tracked.samples.push({
        t: at,
        load: view.stats.sysload,
        cpu: view.stats.cpu_load,
        lease: view.alive ? view.lease_ms_left : 0,
      });
      while (tracked.samples.length > 0 && tracked.samples[0]!.t < at - this.windowMs)
        tracked.samples.shift();
      const totals = view.stats.counters;
      const previous = tracked.counters;
      if (!view.alive) tracked.rates = { ...ZERO };
      else if (totals && previous && view.stats.updated_at > previous.at) {
        const seconds = (view.stats.updated_at - previous.at) / 1000;
        tracked.rates = {
          placements: rate(totals.placements, previous.totals.placements, seconds),
          joins: rate(totals.joins, previous.totals.joins, seconds),
          relay_frames: rate(totals.relay_frames, previous.totals.relay_frames, seconds),
        };
      }
      if (totals && (!previous || view.stats.updated_at > previous.at))
        tracked.counters = { at: view.stats.updated_at, totals };
    }
    // A node the cluster forgot (swept, unregistered) leaves the charts with it.
    for (const id of this.tracked.keys()) if (!seen.has(id)) this.tracked.delete(id);
  }

  private build(views: NodeView[] | undefined, at: number, error: string | undefined): Snapshot {
    if (!views) {
      // The store is away: the previous picture, marked.
      const previous = this.last;
      return { ...(previous ?? emptySnapshot(this.options.selfId, at)), at, ...(error ? { error } : {}) };
    }
    const nodes: DashboardNode[] = views.map((view) => this.nodeRow(view, at));
    const samples: Record<string, Sample> = {};
    for (const [id, tracked] of this.tracked) {
      const newest = tracked.samples.at(-1);
      if (newest) samples[id] = newest;
    }
    const totals = { ...ZERO };
    for (const node of nodes) {
      totals.placements += node.rates.placements;
      totals.joins += node.rates.joins;
      totals.relay_frames += node.rates.relay_frames;
    }
    // A record counts while its node lives: a node killed outright leaves records behind.
    const alive = new Set(views.filter((view) => view.alive).map((view) => view.id));
    const rooms = this.rooms
      .filter((room) => alive.has(room.node_id))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      at,
      node: this.options.selfId,
      nodes,
      samples,
      regions: this.regionsOf(views),
      rooms: rooms.slice(0, MAX_ROOMS).map((room) => ({
        name: room.name,
        sid: room.sid,
        node_id: room.node_id,
        num_participants: room.num_participants,
        num_publishers: room.num_publishers,
        creation_time: room.creation_time,
        // A leg on a dead node is about to be dropped by the others: only live ones are shown.
        legs: (this.legs.get(room.name) ?? [])
          .filter((leg) => alive.has(leg.node_id))
          .map((leg) => ({ node_id: leg.node_id, region: leg.region, reason: leg.reason })),
      })),
      rooms_total: rooms.length,
      totals: {
        placements: round2(totals.placements),
        joins: round2(totals.joins),
        relay_frames: round2(totals.relay_frames),
      },
      ...(error ? { error } : {}),
    };
  }

  private nodeRow(view: NodeView, at: number): DashboardNode {
    const stats = view.stats;
    return {
      id: view.id,
      region: view.region,
      url: view.url,
      state: view.state,
      alive: view.alive,
      self: view.id === this.options.selfId,
      lease_ms_left: view.alive ? view.lease_ms_left : 0,
      lease_ttl_ms: view.lease_age_ms === null ? 0 : view.lease_ms_left + view.lease_age_ms,
      stats_age_ms: Math.max(0, at - stats.updated_at),
      sysload: stats.sysload,
      cpu_load: stats.cpu_load,
      rooms: stats.rooms,
      clients: stats.clients,
      tracks_in: stats.tracks_in,
      tracks_out: stats.tracks_out,
      bytes_in_per_sec: stats.bytes_in_per_sec,
      bytes_out_per_sec: stats.bytes_out_per_sec,
      rates: this.tracked.get(view.id)?.rates ?? { ...ZERO },
      ...(stats.webhooks ? { webhooks: { ...stats.webhooks } } : {}),
    };
  }

  /** The configured regions and every region a node is in, each where the tables place it. */
  private regionsOf(views: NodeView[]): DashboardRegion[] {
    const names = new Set(this.options.regions.map((region) => region.name));
    for (const view of views) if (view.region) names.add(view.region);
    return [...names].sort().map((name) => {
      const place = findRegion(name, this.options.regions);
      return place ? { name, lat: place.lat, lon: place.lon } : { name };
    });
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function emptySnapshot(node: string, at: number): Snapshot {
  return {
    at,
    node,
    nodes: [],
    samples: {},
    regions: [],
    rooms: [],
    rooms_total: 0,
    totals: { ...ZERO },
  };
}
