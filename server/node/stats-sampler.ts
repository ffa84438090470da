import { availableParallelism, loadavg } from 'node:os';
import type { NodeStats } from '../../src/records.js';
import type { RoomRegistry } from '../media/room-registry.js';
import type { WorkerPool } from '../media/worker-pool.js';
import type { NodeMetrics } from '../metrics.js';

interface Counters {
  at: number;
  processCpuMicros: number;
  /** worker pid -> cpu seconds */
  workers: Map<number, number>;
}

/** The transports' byte counters when last read, and the rates read then. */
interface ByteCounters {
  at: number;
  /** transport id -> [bytes received, bytes sent] */
  transports: Map<string, [number, number]>;
  inPerSec: number;
  outPerSec: number;
}

/**
 * Transport byte counters are read at most this often. Each read is one request per transport to its worker: at
 * the lease's pace (every 0.5 s) that was the node's largest cost while media flowed, growing with participants
 * (bench/media). Bytes/s is a rate for dashboards and placement, not a lease matter.
 */
const BYTES_INTERVAL_MS = 5000;

/**
 * Measures the node's load: sysload from the load average, cpu load from the process and its workers' CPU time,
 * rooms, clients and tracks from the room registry, bytes/s from mediasoup's transport counters. Each sample
 * covers the time since the previous one.
 */
export class StatsSampler {
  private previous?: Counters;
  private bytes?: ByteCounters;
  private readonly cpus = availableParallelism();

  constructor(
    private readonly rooms: RoomRegistry,
    private readonly pool: WorkerPool,
    private readonly metrics: NodeMetrics,
  ) {}

  async sample(): Promise<NodeStats> {
    const now = Date.now();
    const usage = await this.pool.usage();
    const workers = new Map(usage.map((u) => [u.pid, u.cpuSeconds]));
    const { inPerSec, outPerSec } = await this.byteRates(now);
    const current: Counters = { at: now, processCpuMicros: cpuMicros(), workers };
    const previous = this.previous;
    this.previous = current;

    const elapsedSeconds = previous ? Math.max((now - previous.at) / 1000, 0.001) : 0;
    let cpuSeconds = 0;
    if (previous) {
      cpuSeconds += (current.processCpuMicros - previous.processCpuMicros) / 1e6;
      for (const { index, pid, cpuSeconds: total } of usage) {
        // A worker that replaced a dead one has no previous figure: all its time is new.
        const delta = total - (previous.workers.get(pid) ?? 0);
        cpuSeconds += delta;
        this.metrics.workerCpuLoad.set({ worker: String(index) }, delta / elapsedSeconds);
      }
    }

    const totals = this.rooms.totals();
    const stats: NodeStats = {
      updated_at: now,
      sysload: round(loadavg()[0]! / this.cpus),
      cpu_load: previous ? round(Math.min(cpuSeconds / (elapsedSeconds * this.cpus), 1)) : 0,
      num_cpus: this.cpus,
      rooms: this.rooms.size,
      clients: totals.participants,
      tracks_in: totals.tracksIn,
      tracks_out: totals.tracksOut,
      bytes_in_per_sec: inPerSec,
      bytes_out_per_sec: outPerSec,
      counters: this.metrics.counterTotals(),
    };
    const webhooks = this.metrics.webhookReport();
    if (webhooks) stats.webhooks = webhooks;
    this.metrics.sysload.set(stats.sysload);
    this.metrics.cpuLoad.set(stats.cpu_load);
    this.metrics.bytesInPerSec.set(stats.bytes_in_per_sec);
    this.metrics.bytesOutPerSec.set(stats.bytes_out_per_sec);
    return stats;
  }

  /** Bytes/s in and out over the last BYTES_INTERVAL_MS or more; the counters are read again once that passed. */
  private async byteRates(now: number): Promise<{ inPerSec: number; outPerSec: number }> {
    const last = this.bytes;
    if (last && now - last.at < BYTES_INTERVAL_MS) return last;
    const transports = await this.transportCounters();
    let inPerSec = 0;
    let outPerSec = 0;
    if (last) {
      const seconds = Math.max((now - last.at) / 1000, 0.001);
      let bytesIn = 0;
      let bytesOut = 0;
      for (const [id, [received, sent]] of transports) {
        const [prevReceived, prevSent] = last.transports.get(id) ?? [0, 0];
        bytesIn += Math.max(received - prevReceived, 0);
        bytesOut += Math.max(sent - prevSent, 0);
      }
      inPerSec = Math.round(bytesIn / seconds);
      outPerSec = Math.round(bytesOut / seconds);
    }
    this.bytes = { at: now, transports, inPerSec, outPerSec };
    return this.bytes;
  }

  private async transportCounters(): Promise<Map<string, [number, number]>> {
    const counters = new Map<string, [number, number]>();
    const reads: Promise<void>[] = [];
    for (const room of this.rooms.list()) {
      for (const transport of room.transports()) {
        reads.push(
          transport
            .getStats()
            .then(([stat]) => {
              if (stat) counters.set(transport.id, [stat.bytesReceived, stat.bytesSent]);
            })
            // A transport that closed while we asked has nothing left to count.
            .catch(() => {}),
        );
      }
    }
    await Promise.all(reads);
    return counters;
  }
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
