import type { LimitConfig } from '../../src/config/types.js';
import type { NodeRecord, NodeState, NodeStats, NodeView } from '../../src/records.js';

export interface NodeShape {
  region?: string;
  state?: NodeState;
  sysload?: number;
  cpu_load?: number;
  rooms?: number;
  clients?: number;
  tracks?: number;
  bytes?: number;
  recent?: number;
  limits?: Partial<LimitConfig>;
  port?: number;
}

/** A full node record as a real node reports it, with the load figures a test cares about. */
export function nodeRecord(id: string, shape: NodeShape = {}): NodeRecord {
  const port = shape.port ?? 7880;
  const stats: NodeStats = {
    updated_at: Date.now(),
    sysload: shape.sysload ?? 0.1,
    cpu_load: shape.cpu_load ?? 0.1,
    num_cpus: 2,
    rooms: shape.rooms ?? 0,
    clients: shape.clients ?? 0,
    tracks_in: Math.floor((shape.tracks ?? 0) / 2),
    tracks_out: Math.ceil((shape.tracks ?? 0) / 2),
    bytes_in_per_sec: Math.floor((shape.bytes ?? 0) / 2),
    bytes_out_per_sec: Math.ceil((shape.bytes ?? 0) / 2),
  };
  return {
    id,
    region: shape.region ?? 'us-west-2',
    ip: '127.0.0.1',
    http_port: port,
    url: `http://127.0.0.1:${port}`,
    rtc_port_range: { start: 50000, end: 50100 },
    state: shape.state ?? 'serving',
    started_at: Date.now(),
    stats,
    limits: {
      num_tracks: 0,
      bytes_per_sec: 0,
      max_rooms: 0,
      max_participants_per_node: 0,
      participants_per_router: 0,
      ...shape.limits,
    },
    version: '0.1.0',
  };
}

/** A node as a router would return it: alive (unless `alive: false`) with its lease. */
export function nodeView(id: string, shape: NodeShape & { alive?: boolean } = {}): NodeView {
  const record = nodeRecord(id, shape);
  const alive = shape.alive ?? true;
  return {
    ...record,
    stats: { ...record.stats, recent_placements: shape.recent ?? 0 },
    alive,
    lease_ms_left: alive ? 5000 : 0,
    lease_age_ms: alive ? 1000 : null,
  };
}
