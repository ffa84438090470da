import { EventEmitter } from 'node:events';
import type { Config } from '../../src/config/types.js';
import { LkcError } from '../../src/errors.js';
import type { NodeRecord, NodeState } from '../../src/records.js';
import type { Router as ClusterRouter, Placement, PlaceOptions } from '../../src/routing/types.js';
import type { Logger } from '../logger.js';
import type { Room, RoomPartInfo, RtcListen } from '../media/room.js';
import type { RoomHost } from '../media/room-host.js';
import type { OpenRoomOptions, RoomRegistry } from '../media/room-registry.js';
import type { WorkerPool } from '../media/worker-pool.js';
import type { NodeMetrics } from '../metrics.js';
import type { NodeLease } from './lease.js';
import { withTimeout } from './timeouts.js';
import { VERSION } from './version.js';

/** A drain with no deadline given ends at the latest after this long. */
export const DEFAULT_DRAIN_SECONDS = 600;
// Shutdown steps that talk to the store never hold the exit longer than this.
const STORE_STEP_TIMEOUT_MS = 2000;
const STORE_STEP_GIVE_UP_MS = 250;

export interface Readiness {
  ready: boolean;
  /** Why the node is not ready, in an operator's words. */
  reason?: string;
}

interface NodeEvents {
  state: [state: NodeState];
  /** Everything is closed and the node is unregistered: the process may exit. */
  stopped: [];
}

/** The parts the node runs on, made by the composition root before the node exists. */
export interface NodeBase {
  id: string;
  config: Config;
  log: Logger;
  pool: WorkerPool;
  metrics: NodeMetrics;
  /** The port the node's HTTP surface listens on (0 until it listens). */
  port: () => number;
}

/** The parts the composition root attaches once the store is reached. */
export interface NodeAttachments {
  router: ClusterRouter;
  rooms: RoomRegistry;
  lease: NodeLease;
  /** Opens a leg of a spanning room here (absent: rooms do not span). */
  openLeg?: (name: string, home: string) => Promise<Room>;
  /** This node's part of a spanning room, for GET /admin/node (absent: rooms do not span). */
  describeSpan?: (room: Room) => RoomPartInfo | undefined;
}

/** One step of stopping the node. `bounded`: it may wait on the store, so it gets a time budget. */
export interface ShutdownStep {
  what: string;
  run: () => unknown;
  bounded?: boolean;
}

/**
 * One cluster node's own state: its lifecycle (starting -> serving -> draining -> shutting_down; a draining node
 * keeps its rooms and takes no new ones), its record, and the hosting of rooms. The services around it are made
 * and closed by the composition root (server/assemble.ts); none of them sees this class.
 */
export class ClusterNode extends EventEmitter<NodeEvents> implements RoomHost {
  readonly id: string;
  readonly config: Config;
  readonly pool: WorkerPool;
  readonly metrics: NodeMetrics;
  readonly startedAt = Date.now();
  state: NodeState = 'starting';
  rooms!: RoomRegistry;
  private router?: ClusterRouter;
  private lease?: NodeLease;
  private openLeg?: (name: string, home: string) => Promise<Room>;
  private describeSpan?: (room: Room) => RoomPartInfo | undefined;
  private steps: ShutdownStep[] = [];
  private drainTimer?: NodeJS.Timeout;
  private drainDeadline?: number;
  private stopping?: Promise<void>;
  private readonly log: Logger;
  private readonly port: () => number;

  constructor(base: NodeBase) {
    super();
    this.id = base.id;
    this.config = base.config;
    this.log = base.log;
    this.pool = base.pool;
    this.metrics = base.metrics;
    this.port = base.port;
  }

  get region(): string {
    return this.config.region;
  }

  /** The first bind address that names one interface (not 0.0.0.0 or ::), if any. */
  private get specificAddress(): string | undefined {
    return this.config.bind_addresses.find((a) => a !== '0.0.0.0' && a !== '::');
  }

  /** The address clients and other nodes reach this node at: rtc.node_ip, else a specific bind address, else loopback. */
  get advertisedIp(): string {
    return this.config.rtc.node_ip || this.specificAddress || '127.0.0.1';
  }

  /** Where media transports listen (the specific bind address, else every interface) and what ICE announces. */
  get rtcListen(): RtcListen {
    return { ip: this.specificAddress ?? '0.0.0.0', announcedAddress: this.advertisedIp };
  }

  get url(): string {
    const host = this.advertisedIp.includes(':') ? `[${this.advertisedIp}]` : this.advertisedIp;
    return `http://${host}:${this.port()}`;
  }

  /** What stop() runs, in order. Set before start, so that a start that fails half way closes what it opened. */
  closeWith(steps: ShutdownStep[]): void {
    this.steps = steps;
  }

  attach({ router, rooms, lease, openLeg, describeSpan }: NodeAttachments): void {
    this.router = router;
    this.rooms = rooms;
    this.lease = lease;
    this.openLeg = openLeg;
    this.describeSpan = describeSpan;
    rooms.on('empty', () => {
      if (this.state === 'draining') void this.stop('drained: its last room closed');
    });
  }

  /** The node takes rooms from now on; its record says so when it registers. */
  serve(): void {
    this.state = 'serving';
  }

  /** Everything is up: tells the listeners (the supervisor) that the node serves. */
  started(): void {
    this.emit('state', this.state);
  }

  /** The node's record as the cluster sees it. */
  record(): NodeRecord {
    return {
      id: this.id,
      region: this.config.region,
      ip: this.advertisedIp,
      http_port: this.port(),
      url: this.url,
      rtc_port_range: {
        start: this.config.rtc.udp_port_range_start,
        end: this.config.rtc.udp_port_range_end,
      },
      state: this.state,
      started_at: this.startedAt,
      stats: this.lease!.stats,
      limits: this.config.limit,
      version: VERSION,
    };
  }

  /** Node, rooms and workers, for GET /admin/node. */
  info() {
    return {
      node: this.record(),
      router: this.router?.kind,
      drain_deadline: this.drainDeadline ?? null,
      rooms:
        this.rooms?.list().map((room) => ({
          name: room.name,
          sid: room.sid,
          participants: room.participants.size,
          routers: room.routers.load(),
          ...(this.describeSpan ? { span: this.describeSpan(room) ?? null } : {}),
        })) ?? [],
      workers: this.pool.slots.map((slot) => ({
        index: slot.index,
        pid: slot.worker?.pid ?? null,
        ports: slot.ports,
        restarts: slot.restarts,
      })),
    };
  }

  /** Ready = serving, every worker running, registered with a live lease, and the store answering. */
  async readiness(): Promise<Readiness> {
    if (this.state === 'starting') return { ready: false, reason: 'node is starting' };
    if (this.state === 'shutting_down') return { ready: false, reason: 'node is shutting down' };
    if (this.state === 'draining') return { ready: false, reason: 'node is draining: it takes no new rooms' };
    const missing = this.pool.missing;
    if (missing.length > 0)
      return { ready: false, reason: `mediasoup worker ${missing.join(', ')} is not running` };
    const router = this.router!;
    const store = router.kind === 'redis' ? 'redis' : 'router';
    const storeError = this.lease?.storeError;
    if (storeError) return { ready: false, reason: `${store} is unreachable: ${storeError}` };
    const danger = this.lease?.leaseDanger();
    if (danger) return { ready: false, reason: `the node's lease is in danger: ${danger}` };
    try {
      const view = await withTimeout(router.getNode(this.id), 1000, `${store} lookup`);
      if (!view) return { ready: false, reason: 'node is not registered' };
      if (!view.alive) return { ready: false, reason: 'node lease has expired' };
    } catch (err) {
      return { ready: false, reason: `${store} is unreachable: ${(err as Error).message}` };
    }
    return { ready: true };
  }

  placeRoom(room: string, options: PlaceOptions = {}): Promise<Placement> {
    return this.metrics.timePlacement(() => this.router!.placeRoom(room, options));
  }

  /** Opens `name` here (claimed for this node now, unless the caller's placement already did). Refused while draining. */
  async hostRoom(name: string, options: OpenRoomOptions = {}, claimedFor?: string): Promise<Room> {
    const open = this.rooms.get(name);
    if (open) return open;
    if (this.state !== 'serving')
      throw new LkcError('UNAVAILABLE', `node ${this.id} is ${this.state}: it takes no new rooms`);
    const holder = claimedFor ?? (await this.placeRoom(name, { nodeId: this.id })).node.id;
    if (holder !== this.id) throw new LkcError('ALREADY_EXISTS', `room ${name} is hosted on node ${holder}`);
    return this.rooms.open(name, options);
  }

  /** Opens a leg of the spanning room `name` (home: node `home`) here. Refused while draining. */
  async hostLeg(name: string, home: string): Promise<Room> {
    const open = this.rooms.get(name);
    if (open) return open;
    if (this.state !== 'serving')
      throw new LkcError('UNAVAILABLE', `node ${this.id} is ${this.state}: it takes no new rooms`);
    if (!this.openLeg)
      throw new LkcError('FAILED_PRECONDITION', `rooms do not span nodes here (room.span is off)`);
    return this.openLeg(name, home);
  }

  /**
   * Moves the node to draining: existing rooms continue, new ones go elsewhere. It stops when its last room
   * closes, or at the deadline (rooms are then closed). Draining again moves the deadline.
   */
  async drain(deadlineSeconds = DEFAULT_DRAIN_SECONDS): Promise<NodeRecord> {
    if (this.state === 'shutting_down')
      throw new LkcError('UNAVAILABLE', `node ${this.id} is already shutting down`);
    if (this.state === 'starting') throw new LkcError('UNAVAILABLE', `node ${this.id} is still starting`);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainDeadline = Date.now() + deadlineSeconds * 1000;
    this.drainTimer = setTimeout(() => void this.drainDeadlineReached(), deadlineSeconds * 1000);
    if (this.state !== 'draining') {
      this.setState('draining');
      this.log.info({ rooms: this.rooms.size, deadlineSeconds }, 'draining');
      await this.lease?.reportNow().catch(() => {});
    }
    // Let the caller's answer go out before the node starts to stop.
    if (this.rooms.size === 0) setImmediate(() => void this.stop('drained: it had no rooms'));
    return this.record();
  }

  /** Returns a draining node to serving. */
  async undrain(): Promise<NodeRecord> {
    if (this.state === 'serving') return this.record();
    if (this.state !== 'draining')
      throw new LkcError('UNAVAILABLE', `node ${this.id} is ${this.state}; it cannot be undrained`);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.drainDeadline = undefined;
    this.setState('serving');
    this.log.info('undrained: serving again');
    await this.lease?.reportNow().catch(() => {});
    return this.record();
  }

  /** Stops at once: runs the shutdown steps (rooms, unregistering, services, workers, HTTP). Idempotent. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    this.log.info({ reason, rooms: this.rooms?.size ?? 0 }, 'node stopping');
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.setState('shutting_down');
    // Once the store has failed one step it is likely gone: the remaining steps get a short try, not the full wait.
    let budgetMs = this.lease?.storeError ? STORE_STEP_GIVE_UP_MS : STORE_STEP_TIMEOUT_MS;
    for (const step of this.steps) {
      try {
        const done = Promise.resolve().then(step.run);
        await (step.bounded ? withTimeout(done, budgetMs, step.what) : done);
      } catch (err) {
        if (step.bounded) budgetMs = STORE_STEP_GIVE_UP_MS;
        this.log.warn({ err: (err as Error).message }, `${step.what} failed`);
      }
    }
    this.log.info('node stopped');
    this.emit('stopped');
  }

  private async drainDeadlineReached(): Promise<void> {
    if (this.state !== 'draining') return;
    this.log.warn({ rooms: this.rooms.size }, 'drain deadline reached: closing the remaining rooms');
    await this.stop('drain deadline reached');
  }

  private setState(state: NodeState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
