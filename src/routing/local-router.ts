import { EventEmitter } from 'node:events';
import type { Config } from '../config/types.js';
import type { NodeRecord, NodeView, RoomRecord } from '../records.js';
import { prepareNodes } from '../selector/select.js';
import { type ClaimResult, checkRoomName, placeRoomWith, RECENT_WINDOW_MS } from './placement.js';
import type {
  BusHandler,
  ForgetOptions,
  ForgetOutcome,
  LeaseRenewal,
  Placement,
  PlaceOptions,
  Router,
} from './types.js';

interface LocalNode {
  record: NodeRecord;
  leaseExpiresAt: number;
  recent: number;
  recentExpiresAt: number;
}

/**
 * The single-node router (LiveKit's LocalRouter): the same registry, leases, placement rules and bus as the
 * Redis router, kept in this process's memory. The default when no `redis` is configured.
 */
export class LocalRouter implements Router {
  readonly kind = 'local' as const;
  private readonly nodes = new Map<string, LocalNode>();
  private readonly roomNode = new Map<string, string>();
  private readonly rooms = new Map<string, RoomRecord>();
  private readonly bus = new EventEmitter();
  private readonly leaseTtlMs: number;

  constructor(
    private readonly config: Config,
    private readonly now: () => number = Date.now,
  ) {
    this.leaseTtlMs = Math.max(1, Math.round(config.node_stats.lease_ttl * 1000));
    this.bus.setMaxListeners(0);
  }

  private alive(nodeId: string | undefined): boolean {
    const node = nodeId === undefined ? undefined : this.nodes.get(nodeId);
    return node !== undefined && this.now() < node.leaseExpiresAt;
  }

  private viewOf(node: LocalNode): NodeView {
    const now = this.now();
    const alive = now < node.leaseExpiresAt;
    const left = alive ? node.leaseExpiresAt - now : 0;
    return {
      ...node.record,
      stats: { ...node.record.stats, recent_placements: now < node.recentExpiresAt ? node.recent : 0 },
      alive,
      lease_ms_left: left,
      lease_age_ms: alive ? this.leaseTtlMs - left : null,
    };
  }

  async registerNode(node: NodeRecord): Promise<void> {
    await this.heartbeat(node);
  }

  async heartbeat(node: NodeRecord): Promise<LeaseRenewal> {
    const existing = this.nodes.get(node.id);
    const wasAlive = this.alive(node.id);
    const msLeft = wasAlive && existing ? Math.max(0, existing.leaseExpiresAt - this.now()) : 0;
    const { recent_placements: _, ...stats } = node.stats;
    this.nodes.set(node.id, {
      record: structuredClone({ ...node, stats }),
      leaseExpiresAt: this.now() + this.leaseTtlMs,
      recent: existing?.recent ?? 0,
      recentExpiresAt: existing?.recentExpiresAt ?? 0,
    });
    return { held: wasAlive, msLeft };
  }

  async forgetNode(nodeId: string, options: ForgetOptions): Promise<ForgetOutcome> {
    const node = this.nodes.get(nodeId);
    if (!node) return { status: 'unknown' };
    if (this.alive(nodeId) && !options.force)
      return { status: 'alive', msLeft: Math.max(0, node.leaseExpiresAt - this.now()) };
    const rooms = [...this.roomNode].filter(([, holder]) => holder === nodeId).map(([room]) => room);
    await this.unregisterNode(nodeId);
    return { status: 'forgotten', rooms };
  }

  async unregisterNode(nodeId: string): Promise<void> {
    this.nodes.delete(nodeId);
    for (const [room, holder] of this.roomNode) {
      if (holder !== nodeId) continue;
      this.roomNode.delete(room);
      this.rooms.delete(room);
    }
  }

  async listNodes(): Promise<NodeView[]> {
    return [...this.nodes.values()].map((n) => this.viewOf(n)).sort((a, b) => a.id.localeCompare(b.id));
  }

  async getNode(nodeId: string): Promise<NodeView | undefined> {
    const node = this.nodes.get(nodeId);
    return node ? this.viewOf(node) : undefined;
  }

  async placeRoom(room: string, options: PlaceOptions = {}): Promise<Placement> {
    return placeRoomWith(
      {
        prepared: () =>
          prepareNodes(
            [...this.nodes.values()].map((n) => this.viewOf(n)),
            this.config.node_selector,
          ),
        claim: async (name, chosen, allowance) => this.claim(name, chosen, allowance),
        node: (id) => this.getNode(id),
        learn: () => {},
        refresh: async () => {},
      },
      room,
      this.config.region,
      options,
    );
  }

  // The same decisions as lua/claim.lua; this process is the only writer, so no atomicity is needed.
  private claim(room: string, chosen: string, allowance: number): ClaimResult {
    const holder = this.roomNode.get(room);
    if (holder && this.alive(holder)) {
      const state = this.nodes.get(holder)!.record.state;
      if (state === 'serving' || state === 'draining')
        return { outcome: 'held', nodeId: holder, recent: 0, recentTtlMs: 0 };
    }
    if (chosen === '') return { outcome: 'none', nodeId: '', recent: 0, recentTtlMs: 0 };
    const node = this.nodes.get(chosen);
    if (!node || !this.alive(chosen))
      return { outcome: 'chosen_dead', nodeId: chosen, recent: 0, recentTtlMs: 0 };
    if (node.record.state !== 'serving')
      return { outcome: 'chosen_state', nodeId: chosen, recent: 0, recentTtlMs: 0 };
    const now = this.now();
    if (now >= node.recentExpiresAt) {
      node.recent = 0;
      node.recentExpiresAt = now + RECENT_WINDOW_MS;
    }
    if (allowance >= 0 && node.recent >= allowance) {
      return {
        outcome: 'chosen_full',
        nodeId: chosen,
        recent: node.recent,
        recentTtlMs: node.recentExpiresAt - now,
      };
    }
    this.roomNode.set(room, chosen);
    node.recent++;
    return {
      outcome: 'claimed',
      nodeId: chosen,
      recent: node.recent,
      recentTtlMs: node.recentExpiresAt - now,
    };
  }

  async getRoomNode(room: string): Promise<string | undefined> {
    return this.roomNode.get(room);
  }

  async releaseRoom(room: string, nodeId: string): Promise<boolean> {
    if (this.roomNode.get(room) !== nodeId) return false;
    this.roomNode.delete(room);
    return true;
  }

  async assertRoom(room: string, nodeId: string): Promise<string> {
    checkRoomName(room);
    const holder = this.roomNode.get(room);
    if (holder && holder !== nodeId && this.alive(holder)) return holder;
    this.roomNode.set(room, nodeId);
    return nodeId;
  }

  async listRoomNodes(): Promise<Map<string, string>> {
    return new Map([...this.roomNode].sort(([a], [b]) => a.localeCompare(b)));
  }

  async listNodeRooms(nodeId: string): Promise<string[]> {
    return [...this.roomNode]
      .filter(([, holder]) => holder === nodeId)
      .map(([room]) => room)
      .sort();
  }

  async putRoom(room: RoomRecord): Promise<void> {
    this.rooms.set(room.name, structuredClone(room));
  }

  async getRoom(name: string): Promise<RoomRecord | undefined> {
    const room = this.rooms.get(name);
    return room ? structuredClone(room) : undefined;
  }

  async listRooms(): Promise<RoomRecord[]> {
    return [...this.rooms.values()]
      .map((r) => structuredClone(r))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteRoom(name: string, nodeId: string): Promise<void> {
    if (this.roomNode.get(name) === nodeId) this.rooms.delete(name);
  }

  async publish(nodeId: string, message: string): Promise<number | undefined> {
    // Delivered on a later tick, like a message through Redis: a handler never runs inside publish().
    queueMicrotask(() => this.bus.emit(nodeId, message));
    return this.bus.listenerCount(nodeId);
  }

  async subscribe(nodeId: string, handler: BusHandler): Promise<() => Promise<void>> {
    this.bus.on(nodeId, handler);
    return async () => {
      this.bus.off(nodeId, handler);
    };
  }

  onConnectionChange(): () => void {
    return () => {};
  }

  // Its only node is the one that runs it: there is never another to sweep.
  async watchDeadNodes(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    this.bus.removeAllListeners();
  }
}
