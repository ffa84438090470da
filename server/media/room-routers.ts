import type { types } from 'mediasoup';
import { LkcError } from '../../src/errors.js';
import { MEDIA_CODECS } from './media-codecs.js';
import type { Participant } from './participant.js';
import type { WorkerSlot } from './worker-pool.js';

/** One mediasoup router of a room, on one worker (one core). */
export interface RoomRouter {
  router: types.Router;
  slot: WorkerSlot;
}

/**
 * Where a room may grow a router: the worker it should use for a participant when the room's routers are full, or
 * undefined to stay where it is. The registry answers from its workers' load.
 */
export type RouterGrowth = (inUse: ReadonlySet<number>) => WorkerSlot | undefined;

/**
 * The mediasoup routers of one room on this node. A room starts on one router (one worker, one core); when a
 * router holds `perRouter` participants and another worker is free, the next participant gets a router of the room
 * on that worker, so that one room can use more than one core. A producer lives on its publisher's router; a
 * consumer on another router gets it piped there first (mediasoup's pipeToRouter, which keeps its id and carries
 * pause, resume, close and keyframe requests across), once per producer and router.
 */
export class RoomRouters {
  readonly primary: RoomRouter;
  private readonly extra = new Map<number, RoomRouter>();
  private readonly opening = new Map<number, Promise<RoomRouter>>();
  private readonly assigned = new WeakMap<Participant, RoomRouter>();
  private readonly counts = new Map<types.Router, number>();
  /** The router each producer of the room was made on. */
  private readonly home = new Map<string, types.Router>();
  /** Pipes made or being made: `${producer id} ${router id}`. */
  private readonly piped = new Map<string, Promise<void>>();

  constructor(
    router: types.Router,
    slot: WorkerSlot,
    private readonly roomName: string,
    private readonly perRouter: number,
    private readonly grow: RouterGrowth,
    /** A router was made on another worker (the room watches its consumers too). */
    private readonly onMade: (router: types.Router) => void,
    /** A router on another worker died with its participants' media; the room removes them. */
    private readonly onLost: (router: types.Router, reason: string) => void,
  ) {
    this.primary = { router, slot };
  }

  /** Every router of the room, the primary first. */
  all(): RoomRouter[] {
    return [this.primary, ...this.extra.values()];
  }

  /** The router `participant`'s transports are on (the primary until it has one). */
  of(participant: Participant): RoomRouter {
    return this.assigned.get(participant) ?? this.primary;
  }

  /** Participants on each router, for GET /admin/node. */
  load(): Array<{ worker: number; participants: number }> {
    return this.all().map(({ router, slot }) => ({
      worker: slot.index,
      participants: this.counts.get(router) ?? 0,
    }));
  }

  /** Chooses `participant`'s router on its first transport: the emptiest with room, else a new one on a free worker. */
  async assign(participant: Participant): Promise<RoomRouter> {
    const current = this.assigned.get(participant);
    if (current) return current;
    let chosen = this.primary;
    let least = Number.POSITIVE_INFINITY;
    for (const candidate of this.all()) {
      const count = this.counts.get(candidate.router) ?? 0;
      if (count < least && !candidate.router.closed) {
        chosen = candidate;
        least = count;
      }
    }
    if (this.perRouter > 0 && least >= this.perRouter) {
      const slot = this.grow(new Set(this.all().map((r) => r.slot.index)));
      if (slot) chosen = await this.open(slot);
    }
    if (participant.closed) return chosen;
    this.assigned.set(participant, chosen);
    this.counts.set(chosen.router, (this.counts.get(chosen.router) ?? 0) + 1);
    return chosen;
  }

  /** A participant left: its router has room for one more. */
  release(participant: Participant): void {
    const router = this.assigned.get(participant)?.router;
    if (!router) return;
    this.assigned.delete(participant);
    this.counts.set(router, Math.max(0, (this.counts.get(router) ?? 1) - 1));
  }

  /** Records the router `producer` was made on. */
  located(producer: types.Producer, router: types.Router): void {
    this.home.set(producer.id, router);
    producer.observer.once('close', () => {
      this.home.delete(producer.id);
      for (const key of [...this.piped.keys()]) if (key.startsWith(`${producer.id} `)) this.piped.delete(key);
    });
  }

  /** Makes `producerId` consumable on `target`: piped there from its own router when it lives elsewhere. */
  async bring(producerId: string, target: types.Router): Promise<void> {
    const source = this.home.get(producerId);
    if (!source || source === target) return;
    const key = `${producerId} ${target.id}`;
    let pipe = this.piped.get(key);
    if (!pipe) {
      pipe = source.pipeToRouter({ producerId, router: target, enableRtx: true }).then(() => undefined);
      // A failed pipe is tried again by the next consumer.
      pipe.catch(() => this.piped.delete(key));
      this.piped.set(key, pipe);
    }
    await pipe;
  }

  /** Closes every router of the room. */
  close(): void {
    for (const { router } of this.all()) if (!router.closed) router.close();
  }

  private open(slot: WorkerSlot): Promise<RoomRouter> {
    const existing = this.extra.get(slot.index);
    if (existing) return Promise.resolve(existing);
    let opening = this.opening.get(slot.index);
    if (!opening) {
      opening = this.create(slot).finally(() => this.opening.delete(slot.index));
      this.opening.set(slot.index, opening);
    }
    return opening;
  }

  private async create(slot: WorkerSlot): Promise<RoomRouter> {
    if (!slot.worker) throw new LkcError('UNAVAILABLE', `worker ${slot.index} is not running`);
    const router = await slot.worker.createRouter({
      mediaCodecs: MEDIA_CODECS,
      appData: { room: this.roomName, worker: slot.index },
    });
    const added = { router, slot };
    this.extra.set(slot.index, added);
    this.onMade(router);
    router.once('workerclose', () => {
      this.extra.delete(slot.index);
      this.onLost(router, `its router on worker ${slot.index} died`);
    });
    return added;
  }
}
