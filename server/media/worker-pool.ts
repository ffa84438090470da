import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createWorker, type types, workerBin } from 'mediasoup';
import { LkcError } from '../../src/errors.js';
import { type PortRange, splitPortRange } from '../../src/system/ports.js';
import type { Logger } from '../logger.js';

/** One mediasoup worker of the node and the UDP ports it owns. */
export interface WorkerSlot {
  index: number;
  /** Undefined while a died worker is being replaced. */
  worker?: types.Worker;
  ports: PortRange;
  /** Times this slot's worker died and was replaced. */
  restarts: number;
}

/** CPU time a worker has used, for the stats reporter and the metrics. */
export interface WorkerUsage {
  index: number;
  pid: number;
  /** User + system CPU seconds since the worker started. */
  cpuSeconds: number;
}

interface WorkerPoolEvents {
  /** A worker died; its routers (rooms) are already closed by mediasoup. A replacement is on its way. */
  died: [slot: WorkerSlot, error: Error];
  replaced: [slot: WorkerSlot];
}

const REPLACE_RETRY_MAX_MS = 10_000;

/**
 * The node's mediasoup workers, one UDP port slice each. A worker that dies is replaced on the same slice; the
 * rooms it carried are closed by their owners (see Room), never left half alive.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly slots: WorkerSlot[];
  /**
   * mediasoup routers and transports alive in this pool's workers, counted from mediasoup's own observer events
   * (made, closed, or gone with their worker or router): what the node really holds, for /metrics and leak checks.
   */
  readonly alive = { routers: 0, transports: 0 };
  private closing = false;

  constructor(
    count: number,
    range: PortRange,
    private readonly logger: Logger,
  ) {
    super();
    this.slots = splitPortRange(range, count).map((ports, index) => ({ index, ports, restarts: 0 }));
  }

  /** Starts every worker; rejects if any cannot start (e.g. the mediasoup-worker binary is missing). */
  async start(): Promise<void> {
    // With worker-session.ts in effect, mediasoup runs a wrapper script; the binary itself is here.
    const binary = process.env.LKC_MEDIASOUP_WORKER_BIN || workerBin;
    if (!existsSync(binary)) {
      throw new LkcError(
        'MISSING_SYSTEM_PACKAGE',
        `the mediasoup worker binary is missing (${binary}): build it with \`node scripts/mediasoup-worker/install.mjs\` (npm install runs it), or point MEDIASOUP_WORKER_BIN at one`,
      );
    }
    await Promise.all(this.slots.map((slot) => this.launch(slot)));
  }

  /** True when every slot has a live worker. */
  get running(): boolean {
    return this.slots.every((slot) => slot.worker && !slot.worker.died && !slot.worker.closed);
  }

  /** Slots without a live worker right now. */
  get missing(): number[] {
    return this.slots
      .filter((slot) => !slot.worker || slot.worker.died || slot.worker.closed)
      .map((s) => s.index);
  }

  /** The live worker with the lowest `load` (ties go to the lowest index). */
  leastLoaded(load: (slot: WorkerSlot) => number): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const slot of this.slots) {
      if (!slot.worker || slot.worker.died || slot.worker.closed) continue;
      const value = load(slot);
      if (value < bestLoad) {
        best = slot;
        bestLoad = value;
      }
    }
    return best;
  }

  /** CPU time of each live worker. */
  async usage(): Promise<WorkerUsage[]> {
    const live = this.slots.filter((slot) => slot.worker && !slot.worker.died && !slot.worker.closed);
    const results = await Promise.allSettled(
      live.map(async (slot) => {
        const usage = await slot.worker!.getResourceUsage();
        // ru_utime / ru_stime are milliseconds.
        return {
          index: slot.index,
          pid: slot.worker!.pid,
          cpuSeconds: (usage.ru_utime + usage.ru_stime) / 1000,
        };
      }),
    );
    return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  }

  /** Closes every worker (and with them every router). */
  close(): void {
    this.closing = true;
    for (const slot of this.slots) slot.worker?.close();
  }

  private async launch(slot: WorkerSlot): Promise<void> {
    const worker = await createWorker({
      logLevel: 'warn',
      rtcMinPort: slot.ports.start,
      rtcMaxPort: slot.ports.end,
      appData: { slot: slot.index },
    });
    slot.worker = worker;
    this.count(worker);
    worker.on('died', (error) => this.onDied(slot, worker, error));
    this.logger.debug(
      { worker: slot.index, pid: worker.pid, ports: `${slot.ports.start}-${slot.ports.end}` },
      'worker started',
    );
  }

  private count(worker: types.Worker): void {
    worker.observer.on('newrouter', (router) => {
      this.alive.routers++;
      router.observer.once('close', () => this.alive.routers--);
      router.observer.on('newtransport', (transport) => {
        this.alive.transports++;
        transport.observer.once('close', () => this.alive.transports--);
      });
    });
  }

  private onDied(slot: WorkerSlot, worker: types.Worker, error: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.restarts += 1;
    this.logger.error(
      { worker: slot.index, pid: worker.pid, err: error.message },
      'mediasoup worker died; replacing it',
    );
    this.emit('died', slot, error);
    void this.replace(slot);
  }

  private async replace(slot: WorkerSlot): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        await this.launch(slot);
        if (this.closing) {
          slot.worker?.close();
          return;
        }
        this.logger.info({ worker: slot.index, pid: slot.worker?.pid }, 'mediasoup worker replaced');
        this.emit('replaced', slot);
        return;
      } catch (err) {
        const delay = Math.min(250 * 2 ** attempt, REPLACE_RETRY_MAX_MS);
        this.logger.error(
          { worker: slot.index, err: (err as Error).message, retryMs: delay },
          'could not start a worker',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
