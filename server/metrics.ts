import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeCounters, NodeState, WebhookTotals } from '../src/records.js';
import type { WorkerUsage } from './media/worker-pool.js';

const NODE_STATES: NodeState[] = ['starting', 'serving', 'draining', 'shutting_down'];

/** Live figures the metrics read at scrape time. */
export interface MetricsSource {
  state(): NodeState;
  rooms(): number;
  participants(): number;
  tracksIn(): number;
  tracksOut(): number;
  /** mediasoup routers alive in the node's workers (one per room, plus any not yet closed). */
  routers(): number;
  /** mediasoup transports alive (WebRTC, pipe, plain) in those routers. */
  transports(): number;
  /** Client WebSockets open on /rtc (ours and LiveKit's). */
  signalSockets(): number;
  /** Spanning rooms on this node: its legs, pipes to other nodes, and tracks piped out and in (absent: off). */
  span?(): { legs: number; pipes: number; tracksOut: number; tracksIn: number } | undefined;
  /** Bytes through the room pipes since the node started, read of the pipes' transports at scrape time. */
  spanPipeBytes?(): Promise<{ in: number; out: number } | undefined>;
  /** CPU time of each live mediasoup worker, asked of the workers at scrape time. */
  workerUsage(): Promise<WorkerUsage[]>;
}

/** The node's Prometheus instruments, in a registry of its own (served at GET /metrics). */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly placements: Counter<'result'>;
  readonly placementSeconds: Histogram;
  readonly redisErrors: Counter<'operation'>;
  readonly redisCommandSeconds: Histogram<'operation'>;
  readonly leaseMargin: Gauge;
  readonly workerCpuSeconds: Gauge<'worker'>;
  readonly workerCpuLoad: Gauge<'worker'>;
  readonly workerRestarts: Counter;
  readonly sysload: Gauge;
  readonly cpuLoad: Gauge;
  readonly bytesInPerSec: Gauge;
  readonly bytesOutPerSec: Gauge;
  readonly webhookEvents: Counter<'event' | 'outcome'>;
  readonly webhookQueueLength: Gauge;
  readonly webhookRetries: Counter;
  readonly webhookSendSeconds: Histogram<'result'>;
  readonly joins: Counter;
  readonly relayFrames: Counter;
  readonly spanPipeSetupSeconds: Histogram;
  /** The counters' running totals as plain numbers, reported in the node record (prom-client reads are async). */
  private readonly totals: NodeCounters = { placements: 0, joins: 0, relay_frames: 0 };
  private webhooks?: WebhookTotals;

  constructor(source: MetricsSource, labels: { node_id: string; region: string }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'lkc_' });
    new Gauge({
      name: 'lkc_node_state',
      help: 'The node lifecycle state (1 for the current one)',
      labelNames: ['state'],
      registers,
      collect() {
        const current = source.state();
        for (const state of NODE_STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
    const live = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    live('lkc_rooms', 'Rooms hosted by this node', () => source.rooms());
    live('lkc_participants', 'Participants in the rooms of this node', () => source.participants());
    live('lkc_tracks_in', 'Producers (published tracks) on this node', () => source.tracksIn());
    live('lkc_tracks_out', 'Consumers (subscribed tracks) on this node', () => source.tracksOut());
    live('lkc_mediasoup_routers', 'mediasoup routers alive in the workers of this node', () =>
      source.routers(),
    );
    live('lkc_mediasoup_transports', 'mediasoup transports alive in the workers of this node', () =>
      source.transports(),
    );
    live('lkc_signal_sockets', 'Client WebSockets open on /rtc on this node', () => source.signalSockets());
    live(
      'lkc_span_legs',
      'Rooms this node holds a leg of (room.span): their home is another node',
      () => source.span?.()?.legs ?? 0,
    );
    live(
      'lkc_span_pipes',
      "Pipes from this node's parts of spanning rooms to other nodes",
      () => source.span?.()?.pipes ?? 0,
    );
    new Gauge({
      name: 'lkc_span_piped_tracks',
      help: 'Tracks piped between this node and the other nodes of spanning rooms, by direction (out: its own)',
      labelNames: ['direction'],
      registers,
      collect() {
        const span = source.span?.();
        this.set({ direction: 'out' }, span?.tracksOut ?? 0);
        this.set({ direction: 'in' }, span?.tracksIn ?? 0);
      },
    });
    new Counter({
      name: 'lkc_span_pipe_bytes_total',
      help: "Bytes through the pipes of this node's parts of spanning rooms (RTP, RTCP and retransmissions), by direction (out: to other nodes), read from the pipe transports' counters at scrape time",
      labelNames: ['direction'],
      registers,
      async collect() {
        const bytes = await source.spanPipeBytes?.();
        this.reset();
        this.inc({ direction: 'in' }, bytes?.in ?? 0);
        this.inc({ direction: 'out' }, bytes?.out ?? 0);
      },
    });
    this.spanPipeSetupSeconds = new Histogram({
      name: 'lkc_span_pipe_setup_seconds',
      help: 'Time from the first consumer on this node running (resumed) on a video track of another node of a spanning room until its first keyframe arrived through the pipe',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.placements = new Counter({
      name: 'lkc_placements_total',
      help: 'Room placements requested through this node, by result (claimed, sticky, failed)',
      labelNames: ['result'],
      registers,
    });
    this.placementSeconds = new Histogram({
      name: 'lkc_placement_duration_seconds',
      help: 'Time to place a room (select and claim)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.redisErrors = new Counter({
      name: 'lkc_redis_errors_total',
      help: 'Failed calls to the shared store (Redis), by operation',
      labelNames: ['operation'],
      registers,
    });
    this.redisCommandSeconds = new Histogram({
      name: 'lkc_redis_command_duration_seconds',
      help: 'Round trip of each call this node makes to the shared store (Redis), failed ones included, by operation (heartbeat, claim, changes, sweep, publish, ...)',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.leaseMargin = new Gauge({
      name: 'lkc_lease_margin_seconds',
      help: "Time that was left on this node's lease when its last renewal reached Redis (lease_ttl minus the time since the previous renewal); 0 when it had expired",
      registers,
    });
    this.workerCpuSeconds = new Gauge({
      name: 'lkc_worker_cpu_seconds',
      help: 'CPU time (user + system) used by each mediasoup worker since it started, read at scrape time',
      labelNames: ['worker'],
      registers,
      // Read when scraped, as process_cpu_seconds_total is: a load test takes the difference of two scrapes.
      async collect() {
        this.reset();
        for (const { index, cpuSeconds } of await source.workerUsage())
          this.set({ worker: String(index) }, cpuSeconds);
      },
    });
    this.workerCpuLoad = new Gauge({
      name: 'lkc_worker_cpu_load',
      help: 'Fraction of one core each mediasoup worker used over the last stats interval',
      labelNames: ['worker'],
      registers,
    });
    this.workerRestarts = new Counter({
      name: 'lkc_worker_restarts_total',
      help: 'mediasoup workers that died and were replaced',
      registers,
    });
    this.sysload = new Gauge({ name: 'lkc_node_sysload', help: '1-minute load average / cpus', registers });
    this.cpuLoad = new Gauge({
      name: 'lkc_node_cpu_load',
      help: 'CPU load of the node and its workers, 0..1',
      registers,
    });
    this.bytesInPerSec = new Gauge({
      name: 'lkc_bytes_in_per_second',
      help: 'Media bytes received per second',
      registers,
    });
    this.bytesOutPerSec = new Gauge({
      name: 'lkc_bytes_out_per_second',
      help: 'Media bytes sent per second',
      registers,
    });
    this.webhookEvents = new Counter({
      name: 'lkc_webhook_events_total',
      help: 'Webhook deliveries (one per event and URL) by event and outcome: sent (answered 2xx), failed (gave up after retrying), dropped (the queue was full or the node stopped first)',
      labelNames: ['event', 'outcome'],
      registers,
    });
    this.webhookQueueLength = new Gauge({
      name: 'lkc_webhook_queue_length',
      help: 'Webhook deliveries waiting to be sent or being retried on this node',
      registers,
    });
    this.webhookRetries = new Counter({
      name: 'lkc_webhook_retries_total',
      help: 'Webhook requests that failed (an error status, no answer in time, no connection) and were tried again',
      registers,
    });
    this.webhookSendSeconds = new Histogram({
      name: 'lkc_webhook_send_duration_seconds',
      help: 'Time of one webhook request, by result (ok: 2xx, error: another status, a timeout or no connection)',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.joins = new Counter({
      name: 'lkc_participant_joins_total',
      help: 'Participants that joined a room on this node',
      registers,
    });
    this.relayFrames = new Counter({
      name: 'lkc_relay_frames_total',
      help: 'Signal frames this node received over the relay (bridged sessions, both roles)',
      registers,
    });
  }

  /** A participant joined a room here. */
  countJoin(): void {
    this.joins.inc();
    this.totals.joins++;
  }

  /** A relay frame arrived over the bus. */
  countRelayFrame(): void {
    this.relayFrames.inc();
    this.totals.relay_frames++;
  }

  /** Deliveries waiting on this node's webhook queue now. */
  setWebhookQueue(queued: number): void {
    this.webhookQueueLength.set(queued);
    this.webhookTotals().queued = queued;
  }

  /** A webhook delivery (an event for one URL) ended: sent, failed after its retries, or dropped. */
  countWebhook(event: string, outcome: 'sent' | 'failed' | 'dropped'): void {
    this.webhookEvents.inc({ event, outcome });
    this.webhookTotals()[outcome]++;
  }

  /** The webhook queue and its outcomes for the node record; undefined until the node queued a delivery. */
  webhookReport(): WebhookTotals | undefined {
    return this.webhooks && { ...this.webhooks };
  }

  private webhookTotals(): WebhookTotals {
    this.webhooks ??= { queued: 0, sent: 0, failed: 0, dropped: 0 };
    return this.webhooks;
  }

  /** Running totals since the node started (for the node record, whose readers turn them into rates). */
  counterTotals(): NodeCounters {
    return { ...this.totals };
  }

  /** Times a placement and counts its result. */
  async timePlacement<T extends { claimed: boolean }>(place: () => Promise<T>): Promise<T> {
    const end = this.placementSeconds.startTimer();
    try {
      const placement = await place();
      this.placements.inc({ result: placement.claimed ? 'claimed' : 'sticky' });
      this.totals.placements++;
      return placement;
    } catch (err) {
      this.placements.inc({ result: 'failed' });
      this.totals.placements++;
      throw err;
    } finally {
      end();
    }
  }
}
