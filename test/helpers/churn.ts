// The churn driver of the soak benchmark (bench/soak.ts) and of its short version in the tests
// (test/soak/churn.test.ts): node processes on a private redis-server, rooms created through random nodes with
// LiveKit's server SDK and deleted again, sessions of our JSON protocol that join (directly or bridged), make a
// transport each way, publish an audio producer and leave, and, in the benchmark, a node restarted every few
// seconds. Each sample reads what every node holds: resident memory and mediasoup routers, transports and signal
// sockets from its /metrics, its open file descriptors from /proc, and (when asked) its live heap after a full GC
// through its inspector; and the key count of the Redis.
import { readdirSync, readlinkSync } from 'node:fs';
import { RoomServiceClient } from 'livekit-server-sdk';
import { type FaultCluster, joinToken, killHard, PREFIX, startFaultCluster } from './fault-cluster.js';
import { INSPECTABLE, inspectorUrl, liveHeapBytes } from './heap.js';
import { get, TEST_KEY, TEST_SECRET, type TestNode } from './node-process.js';
import { parsePrometheusText } from './prometheus-text.js';
import { waitFor } from './wait.js';
import { openSession, type WsSession } from './ws-session.js';

/** What one node holds at one moment. */
export interface NodeSample {
  /** The node's slot (node-0, node-1, ...): a restarted node takes over its predecessor's slot. */
  slot: string;
  id: string;
  rss: number;
  /** Live heap after a full GC; NaN when the sample did not ask for it. */
  heap: number;
  rooms: number;
  participants: number;
  routers: number;
  transports: number;
  /** Client WebSockets open on /rtc. */
  sockets: number;
  /** Open file descriptors of the node process, and how many of them are sockets (TCP, UDP, Unix). */
  fds: number;
  socketFds: number;
}

export interface Sample {
  /** Seconds since the driver started. */
  t: number;
  nodes: NodeSample[];
  redisKeys: number;
  /** The entries of every hash, set, sorted set and list in Redis, added up: a leak inside one key shows here. */
  redisEntries: number;
}

/**
 * Left out of shape(): markers that come and go with their own TTL (the sweep's lock and its once-per-interval
 * marker), and the tombstones of removed nodes (node_removed, kept up to a fixed number so that a node's view can
 * tell a removal it missed): bounded by design, and one more after each restart.
 */
const NOT_IN_SHAPE = /:(swept|sweep_lock|node_removed|node_removed_floor)$/;

/** What the churn did, and what failed (a restart in progress makes some operations fail: they are counted). */
export interface ChurnCounts {
  roomsCreated: number;
  roomsDeleted: number;
  sessions: number;
  bridged: number;
  producers: number;
  consumers: number;
  restarts: number;
  failures: Map<string, number>;
}

export interface ChurnOptions {
  /** How long to churn. */
  durationMs: number;
  /** Room loops running at once; each creates a room, runs its sessions, deletes it, and starts over. */
  loops?: number;
  /** Sessions per room. */
  sessionsPerRoom?: number;
  /** Restart a node every this many ms (0: never), the ways taken in turn from `restartHow`. */
  restartEveryMs?: number;
  /** By default drain (SIGTERM) and kill -9 in turn. */
  restartHow?: Array<'drain' | 'kill'>;
  /** The slots restarted, in turn (by default every one): a slot left out keeps its node for the whole run. */
  restartSlots?: number[];
  /** Called after each restart, e.g. to log it. */
  onRestart?(what: string): void;
}

type Slot = { name: string; node: TestNode; inspector: string };

const random = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of `name` in a Prometheus text page (0 when absent). */
function metric(samples: ReturnType<typeof parsePrometheusText>['samples'], name: string): number {
  return samples.find((s) => s.name === name)?.value ?? 0;
}

/** Open file descriptors of `pid`, and how many are sockets. */
function descriptors(pid: number | undefined): { fds: number; socketFds: number } {
  if (pid === undefined) return { fds: Number.NaN, socketFds: Number.NaN };
  try {
    const entries = readdirSync(`/proc/${pid}/fd`);
    let socketFds = 0;
    for (const fd of entries) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) socketFds++;
      } catch {
        // closed while being read
      }
    }
    return { fds: entries.length, socketFds };
  } catch {
    return { fds: Number.NaN, socketFds: Number.NaN };
  }
}

/** A churning cluster. */
export class Churn {
  readonly counts: ChurnCounts = {
    roomsCreated: 0,
    roomsDeleted: 0,
    sessions: 0,
    bridged: 0,
    producers: 0,
    consumers: 0,
    restarts: 0,
    failures: new Map(),
  };
  private readonly started = Date.now();
  private nextRoom = 0;
  private nextSlot: number;
  private stopping = false;
  /** Sessions open right now, so that a failure half-way leaves none behind. */
  private readonly open = new Set<WsSession>();

  private constructor(
    readonly cluster: FaultCluster,
    readonly slots: Slot[],
  ) {
    this.nextSlot = slots.length;
  }

  /** Starts `count` inspectable nodes on a private redis-server. */
  static async start(count: number, label = 'churn'): Promise<Churn> {
    const cluster = await startFaultCluster(count, label, INSPECTABLE);
    try {
      const slots = await Promise.all(
        cluster.nodes.map(async (node, i) => ({
          name: `node-${i}`,
          node,
          inspector: await inspectorUrl(node.output),
        })),
      );
      return new Churn(cluster, slots);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** Seconds since the start. */
  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  private fail(what: string, err: unknown): void {
    const reason =
      (err as Error)?.message?.replace(/ND_\w+|churn-\d+|[0-9a-f]{8}-[0-9a-f-]{27}|\d+ ms|id \d+/g, '…') ??
      '?';
    const key = `${what}: ${reason.slice(0, 120)}`;
    this.counts.failures.set(key, (this.counts.failures.get(key) ?? 0) + 1);
  }

  private sdk(): RoomServiceClient {
    return new RoomServiceClient(random(this.slots).node.url, TEST_KEY, TEST_SECRET);
  }

  /**
   * One session: join through a random node, a transport each way, an audio producer (added to `producers`, the
   * room's), and a consumer of each producer the room had by then.
   */
  private async session(room: string, identity: string, producers: string[]): Promise<void> {
    const via = random(this.slots).node;
    const session = await openSession(via.url, await joinToken(room, identity));
    this.open.add(session);
    session.socket.on('error', () => {});
    const ask = async (method: Parameters<WsSession['request']>[0], data?: unknown) => {
      // biome-ignore lint/suspicious/noExplicitAny: the data of any method
      const answer = await session.request(method, data as any);
      if (!answer.ok) throw new Error(`${method}: ${answer.error?.code} ${answer.error?.message}`);
      return answer.data;
    };
    try {
      await this.sessionLife(session, via, ask, producers);
    } catch (err) {
      // A session that failed half-way (a node restarting under it) is dropped at once, not left open.
      session.socket.terminate();
      throw err;
    } finally {
      this.open.delete(session);
    }
  }

  private async sessionLife(
    session: WsSession,
    via: TestNode,
    // biome-ignore lint/suspicious/noExplicitAny: the answer data of any method
    ask: (method: Parameters<WsSession['request']>[0], data?: unknown) => Promise<any>,
    producers: string[],
  ): Promise<void> {
    const joined = await ask('join', {});
    this.counts.sessions++;
    if (joined.node?.id !== via.id) this.counts.bridged++;
    const send = await ask('createWebRtcTransport', { direction: 'send' });
    const recv = await ask('createWebRtcTransport', { direction: 'recv' });
    const produced = await ask('produce', {
      transportId: send.id,
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: 1000 + Math.floor(Math.random() * 1e6) }],
      },
    });
    this.counts.producers++;
    const others = [...producers];
    producers.push(produced.id);
    for (const producerId of others) {
      await ask('consume', {
        transportId: recv.id,
        producerId,
        rtpCapabilities: joined.routerRtpCapabilities,
      });
      this.counts.consumers++;
    }
    // Held a little, then left: politely (leave, then close) or by dropping the socket.
    await pause(100 + Math.random() * 400);
    if (Math.random() < 0.5) {
      await ask('leave', {}).catch(() => {});
      session.close();
    } else {
      session.socket.terminate();
    }
  }

  /** One room's life: created, its sessions one after another (each consumes the earlier ones), deleted. */
  private async roomLife(sessionsPerRoom: number): Promise<void> {
    const room = `churn-${this.nextRoom++}`;
    try {
      await this.sdk().createRoom({ name: room, emptyTimeout: 5 });
      this.counts.roomsCreated++;
    } catch (err) {
      this.fail('create', err);
      return;
    }
    const producers: string[] = [];
    await Promise.all(
      Array.from({ length: sessionsPerRoom }, async (_, i) => {
        await pause(i * 50);
        try {
          await this.session(room, `${room}-p${i}`, producers);
        } catch (err) {
          this.fail('session', err);
        }
      }),
    );
    try {
      await this.sdk().deleteRoom(room);
      this.counts.roomsDeleted++;
    } catch (err) {
      this.fail('delete', err);
    }
  }

  /** Replaces a node: SIGTERM (drain) or kill -9, then a new one in its slot. */
  async restart(index: number, how: 'drain' | 'kill'): Promise<void> {
    const slot = this.slots[index]!;
    if (how === 'kill') await killHard(slot.node);
    else await slot.node.stop();
    this.cluster.nodes.splice(this.cluster.nodes.indexOf(slot.node), 1);
    const node = await this.cluster.addNode(`node-${this.nextSlot++}`);
    slot.node = node;
    slot.inspector = await inspectorUrl(node.output);
    this.counts.restarts++;
  }

  /** Churns for `durationMs`: `loops` room lives at a time, and a node restarted every `restartEveryMs`. */
  async run(options: ChurnOptions): Promise<void> {
    const { durationMs, loops = 4, sessionsPerRoom = 3, restartEveryMs = 0 } = options;
    const restartHow = options.restartHow ?? ['drain', 'kill'];
    const restartSlots = options.restartSlots ?? this.slots.map((_, i) => i);
    const until = Date.now() + durationMs;
    const loop = async () => {
      while (!this.stopping && Date.now() < until) await this.roomLife(sessionsPerRoom);
    };
    const restarts = async () => {
      if (!restartEveryMs) return;
      for (let i = 0; !this.stopping; i++) {
        const next = Date.now() + restartEveryMs;
        if (next >= until) return;
        while (!this.stopping && Date.now() < next) await pause(200);
        if (this.stopping) return;
        const index = restartSlots[i % restartSlots.length]!;
        const how = restartHow[i % restartHow.length]!;
        try {
          await this.restart(index, how);
          options.onRestart?.(`${how} of ${this.slots[index]!.name} at ${this.elapsed().toFixed(0)} s`);
        } catch (err) {
          this.fail('restart', err);
        }
      }
    };
    try {
      await Promise.all([...Array.from({ length: loops }, loop), restarts()]);
    } finally {
      for (const session of this.open) session.socket.terminate();
      this.open.clear();
    }
  }

  /** Deletes every room any node still lists (one whose delete failed during a restart), through the SDK. */
  async closeRooms(): Promise<void> {
    const sdk = new RoomServiceClient(this.slots[0]!.node.url, TEST_KEY, TEST_SECRET);
    for (const room of await sdk.listRooms()) await sdk.deleteRoom(room.name).catch(() => {});
  }

  /** One sample of every node and of Redis; with `heap`, each node's live heap after a full GC too. */
  async sample({ heap = false }: { heap?: boolean } = {}): Promise<Sample> {
    const nodes = await Promise.all(
      this.slots.map(async ({ name, node, inspector }): Promise<NodeSample> => {
        const { body } = await get(`${node.url}/metrics`);
        const { samples } = parsePrometheusText(String(body));
        return {
          slot: name,
          id: node.id,
          rss: metric(samples, 'lkc_process_resident_memory_bytes'),
          heap: heap ? await liveHeapBytes(inspector) : Number.NaN,
          rooms: metric(samples, 'lkc_rooms'),
          participants: metric(samples, 'lkc_participants'),
          routers: metric(samples, 'lkc_mediasoup_routers'),
          transports: metric(samples, 'lkc_mediasoup_transports'),
          sockets: metric(samples, 'lkc_signal_sockets'),
          ...descriptors(node.child.pid),
        };
      }),
    );
    return { t: this.elapsed(), nodes, ...(await this.redisSize()) };
  }

  private async redisSize(): Promise<{ redisKeys: number; redisEntries: number }> {
    const store = this.cluster.store;
    const keys = await store.keys('*');
    let redisEntries = 0;
    for (const key of keys) {
      const type = await store.type(key);
      if (type === 'hash') redisEntries += await store.hlen(key);
      else if (type === 'set') redisEntries += await store.scard(key);
      else if (type === 'zset') redisEntries += await store.zcard(key);
      else if (type === 'list') redisEntries += await store.llen(key);
      else if (type === 'stream') redisEntries += await store.xlen(key);
      else if (type !== 'none') redisEntries += 1;
    }
    return { redisKeys: keys.length, redisEntries };
  }

  /** The keys in Redis, sorted, for a failure message. */
  keys(): Promise<string[]> {
    return this.cluster.store.keys('*').then((keys) => keys.sort());
  }

  /**
   * What Redis holds, in a form that survives a node restart: the key names with node ids made `ND_*`, without
   * the sweep's TTL markers, each with its number of entries. At rest it is the node records, leases and the
   * placement bookkeeping, per node; a room or session left behind shows as a key or entry more.
   */
  async shape(): Promise<string[]> {
    const store = this.cluster.store;
    const shape: string[] = [];
    for (const key of await store.keys('*')) {
      if (NOT_IN_SHAPE.test(key)) continue;
      const type = await store.type(key);
      const size =
        type === 'hash'
          ? await store.hlen(key)
          : type === 'set'
            ? await store.scard(key)
            : type === 'zset'
              ? await store.zcard(key)
              : 1;
      shape.push(`${key.replace(/ND_\w+/g, 'ND_*')}=${size}`);
    }
    return shape.sort();
  }

  /**
   * Waits (at most `timeoutMs`) until every node holds no room, router, transport or client socket and Redis
   * holds no room: a node record and lease per live node, and, given a `baseline` shape (see shape()), exactly
   * that. Resolves with the sample that showed it.
   */
  async settled(timeoutMs: number, baseline?: string[]): Promise<Sample> {
    let last: Sample | undefined;
    let shape: string[] = [];
    return waitFor(
      async () => {
        last = await this.sample();
        shape = await this.shape();
        const idle = last.nodes.every(
          (n) => n.rooms === 0 && n.routers === 0 && n.transports === 0 && n.sockets === 0,
        );
        const noRooms = !shape.some((key) => /:(rooms|room_node|node_rooms:ND_\*)=/.test(key));
        const asBefore = !baseline || shape.join(' ') === baseline.join(' ');
        return idle && noRooms && asBefore && (await this.nodeRecords()) === this.slots.length
          ? last
          : undefined;
      },
      {
        timeoutMs,
        intervalMs: 250,
        what: () =>
          `every node idle and Redis ${baseline ? `as before (${baseline.join(' ')})` : 'without rooms'}; last sample ${JSON.stringify(last)}, Redis ${shape.join(' ')}`,
      },
    );
  }

  /** Node records in Redis: a swept dead node no longer counts. */
  nodeRecords(): Promise<number> {
    return this.cluster.store.hlen(`${PREFIX}nodes`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const session of this.open) session.socket.terminate();
    await this.cluster.stop();
  }
}

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
