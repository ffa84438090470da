import { availableParallelism } from 'node:os';
import type { Config } from '../src/config/types.js';
import { randomId } from '../src/ids.js';
import type { NodeState } from '../src/records.js';
import type { RelayEndpoint } from '../src/relay/relay-endpoint.js';
import { createRouter } from '../src/routing/create.js';
import type { Router as ClusterRouter } from '../src/routing/types.js';
import { CloseCode } from '../src/signal/close-codes.js';
import { NodeBus } from './bus/node-bus.js';
import { addDashboard, type Dashboard } from './dashboard/routes.js';
import { addAdminRoutes } from './http/admin-routes.js';
import { addHealthRoutes } from './http/health-routes.js';
import { HttpSurface } from './http/http-surface.js';
import { addJoinPage } from './http/join-page.js';
import { addRegionDiscoveryRoute } from './http/region-settings.js';
import { addRegistryRoutes } from './http/registry-routes.js';
import type { Logger } from './logger.js';
import { RoomRegistry } from './media/room-registry.js';
import { WorkerPool } from './media/worker-pool.js';
import { NodeMetrics } from './metrics.js';
import { ClusterNode } from './node/cluster-node.js';
import { DeadNodeWatcher } from './node/dead-node-watch.js';
import { NodeLease } from './node/lease.js';
import { StatsSampler } from './node/stats-sampler.js';
import { startRelay } from './relay/relay-service.js';
import { addSignalling, type Signalling } from './signal/rtc-service.js';
import { Forwarding } from './span/forwarding.js';
import { nodeIsFull } from './span/node-fullness.js';
import { onOtherHost } from './span/other-host.js';
import { SpanService } from './span/span-service.js';
import type { RoomCallClient } from './twirp/bus-calls.js';
import { ClusterRoomBackend } from './twirp/cluster-backend.js';
import { roomNodeCalls } from './twirp/room-node-calls.js';
import { addRoomServiceRoutes } from './twirp/room-service-routes.js';
import { watchRoomWebhooks } from './webhooks/room-webhooks.js';
import { WebhookQueue } from './webhooks/webhook-queue.js';

// A store that stops answering fails calls quickly: the node keeps serving its rooms meanwhile.
const STORE_COMMAND_TIMEOUT_MS = 2000;
// A stopping node gives its last webhooks (room_finished of the rooms it closed) this long to go out.
const WEBHOOK_FLUSH_MS = 2000;

/** A node put together but not started: `start()` connects it to the cluster and makes it serve. */
export interface AssembledNode {
  node: ClusterNode;
  start(): Promise<void>;
}

/**
 * The node's composition root: makes every part of one cluster node from the config, hands each service only the
 * narrow interface it needs, and tells the node what to close when it stops, in order. Nothing else builds a
 * service, and no service sees the node.
 */
export function assembleNode(config: Config, logger: Logger, options: { id?: string } = {}): AssembledNode {
  const id = options.id ?? randomId('ND_');
  const log = logger.child({ nodeId: id });
  const http = new HttpSurface(log);
  const workers = config.rtc.num_workers > 0 ? config.rtc.num_workers : availableParallelism();
  const pool = new WorkerPool(
    workers,
    { start: config.rtc.udp_port_range_start, end: config.rtc.udp_port_range_end },
    log,
  );
  let rooms: RoomRegistry | undefined;
  const metrics = new NodeMetrics(
    {
      state: (): NodeState => node.state,
      rooms: () => rooms?.size ?? 0,
      participants: () => rooms?.totals().participants ?? 0,
      tracksIn: () => rooms?.totals().tracksIn ?? 0,
      tracksOut: () => rooms?.totals().tracksOut ?? 0,
      routers: () => pool.alive.routers,
      transports: () => pool.alive.transports,
      signalSockets: () => signalling?.clients ?? 0,
      span: () => span?.totals(),
      spanPipeBytes: async () => span?.pipeBytes(),
      workerUsage: () => pool.usage(),
    },
    { node_id: id, region: config.region },
  );
  pool.on('died', () => metrics.workerRestarts.inc());
  const node = new ClusterNode({ id, config, log, pool, metrics, port: () => http.port });

  let router: ClusterRouter | undefined;
  let bus: NodeBus | undefined;
  let lease: NodeLease | undefined;
  let relay: RelayEndpoint | undefined;
  let signalling: Signalling | undefined;
  let roomApi: RoomCallClient | undefined;
  let watcher: DeadNodeWatcher | undefined;
  let dashboard: Dashboard | undefined;
  let stopWatchingStore: (() => void) | undefined;
  let webhooks: WebhookQueue | undefined;
  let span: SpanService | undefined;
  let stopWebhooks: (() => void) | undefined;
  const shuttingDown = `node ${id} is shutting down`;
  // Whatever part a failed start never made is skipped.
  node.closeWith([
    { what: 'stopping the reports', run: () => lease?.stop() },
    { what: 'stopping the sweeper', run: () => watcher?.stop() },
    { what: 'closing dashboards', run: () => dashboard?.close() },
    { what: 'closing rooms', bounded: true, run: () => rooms?.closeAll('the node is shutting down') },
    { what: 'closing the relay', run: () => relay?.stop(CloseCode.GOING_AWAY, shuttingDown) },
    { what: 'closing client sessions', run: () => signalling?.close() },
    { what: 'unregistering', bounded: true, run: () => lease?.unregister() },
    { what: 'failing room API calls', run: () => roomApi?.close() },
    { what: 'leaving the bus', bounded: true, run: () => bus?.stop() },
    {
      what: 'closing the router',
      bounded: true,
      run: () => {
        stopWatchingStore?.();
        return router?.close();
      },
    },
    {
      what: 'flushing webhooks',
      run: () => {
        stopWebhooks?.();
        return webhooks?.close(WEBHOOK_FLUSH_MS);
      },
    },
    { what: 'closing workers', run: () => pool.close() },
    { what: 'closing HTTP', bounded: true, run: () => http.close() },
  ]);

  async function start(): Promise<void> {
    log.info({ region: config.region || '(none)', workers: pool.slots.length }, 'node starting');
    await pool.start();
    let lastErrorLog = 0;
    router = await createRouter(config, {
      commandTimeoutMs: STORE_COMMAND_TIMEOUT_MS,
      // Back within an update interval of Redis returning, so that rooms are re-asserted within two.
      maxReconnectDelayMs: Math.min(2000, Math.max(100, config.node_stats.update_interval * 1000)),
      onCommand: (operation, seconds) => metrics.redisCommandSeconds.observe({ operation }, seconds),
      onError: (message) => {
        metrics.redisErrors.inc({ operation: 'connection' });
        if (Date.now() - lastErrorLog > 5000) {
          lastErrorLog = Date.now();
          log.warn({ err: message }, 'redis connection error');
        }
      },
    });
    rooms = new RoomRegistry(id, pool, router, config.room, node.rtcListen, metrics, log, {
      participantsPerRouter: config.limit.participants_per_router,
    });
    if (config.webhook) {
      const { api_key: apiKey, urls } = config.webhook;
      // The config check made sure the key is one of `keys`.
      const apiSecret = config.keys[apiKey] ?? '';
      webhooks = new WebhookQueue({
        urls,
        apiKey,
        apiSecret,
        metrics,
        log: log.child({ service: 'webhook' }),
      });
      stopWebhooks = watchRoomWebhooks({
        rooms,
        queue: webhooks,
        region: config.region,
        shuttingDown: () => node.state === 'shutting_down',
      });
    }
    bus = new NodeBus(router, id, log);
    if (config.room.span !== 'off') {
      if (router.span) {
        span = new SpanService({
          mode: config.room.span,
          self: { id, region: config.region, ip: node.rtcListen.announcedAddress },
          rooms,
          store: router.span,
          bus,
          cluster: router,
          hostRoom: (name) => node.hostRoom(name),
          openAtHome: (home, name) => roomApi!.call(home, 'create', { name, claimed_for: home }),
          draining: () => node.state === 'draining',
          full: () => nodeIsFull(config, rooms!, lease?.stats),
          pipeSetup: (seconds) => metrics.spanPipeSetupSeconds.observe(seconds),
          log,
        });
      } else {
        log.warn(
          { span: config.room.span },
          'room.span is on but this node runs alone (no redis): rooms do not span',
        );
      }
    }
    const spanning = span;
    const sampler = new StatsSampler(rooms, pool, metrics);
    lease = new NodeLease({
      nodeId: id,
      router,
      timing: config.node_stats,
      record: () => node.record(),
      sample: () => sampler.sample(),
      rooms,
      span: spanning && { reassert: (room, leaseLost) => spanning.reassert(room, leaseLost) },
      stopping: () => node.state === 'shutting_down',
      metrics,
      log,
    });
    node.attach({
      router,
      rooms,
      lease,
      openLeg: spanning && ((name, home) => spanning.openLeg(name, home)),
      describeSpan: spanning && ((room) => spanning.describe(room)),
    });
    if (spanning) node.on('state', (state) => state === 'draining' && spanning.drain());

    addHealthRoutes(http, node, metrics);
    addAdminRoutes(http, node, config.keys);
    addRegistryRoutes(http, router, config.keys);
    // Room API calls from other nodes are answered from here on: before the node subscribes to the bus.
    const forwarding = new Forwarding({
      self: { id },
      rooms,
      bus,
      place: async (room) =>
        (await node.placeRoom(room, { originRegion: config.region || undefined })).node.id,
      hostRoom: (room) => node.hostRoom(room),
      otherHost: onOtherHost(router, node.rtcListen.announcedAddress),
      log,
    });
    roomApi = addRoomServiceRoutes({
      http,
      host: node,
      router,
      bus,
      keys: config.keys,
      logger: log,
      forwarder: forwarding,
    });
    addRegionDiscoveryRoute(http, router, config);
    const signalLog = log.child({ service: 'signal' });
    relay = startRelay({
      host: node,
      publish: router,
      bus,
      leaseTtl: config.node_stats.lease_ttl,
      log: signalLog,
      onFrame: () => metrics.countRelayFrame(),
    });
    const roomNode = (room: string) => router!.getRoomNode(room);
    signalling = addSignalling({
      http,
      host: node,
      rules: {
        keys: config.keys,
        autoCreate: config.room.auto_create,
        roomNode,
        legs: spanning && {
          choose: (room, home) => spanning.choose(room, home),
          full: () => spanning.full(),
        },
      },
      relay,
      logger: log,
    });
    addJoinPage(http);
    const roomService = new ClusterRoomBackend(node, router, roomNodeCalls(node, router), roomApi, log);
    dashboard = addDashboard({
      http,
      self: node,
      keys: config.keys,
      cluster: router,
      participants: (room) => roomService.listParticipants(room),
      regions: config.node_selector.regions,
    });
    await http.listen(config.port, config.bind_addresses);
    await bus.start();

    await lease.sampleFirst();
    node.serve();
    await lease.register();
    const active = () => node.state === 'serving' || node.state === 'draining';
    const bridge = relay;
    watcher = await DeadNodeWatcher.start({
      nodeId: id,
      router,
      updateInterval: config.node_stats.update_interval,
      leaseTtl: config.node_stats.lease_ttl,
      lease,
      active,
      closePeer: (peer, reason) => bridge.closePeer(peer, reason),
      onSwept: (event) => {
        spanning?.nodeGone(event);
        forwarding.nodeGone(event.node);
      },
      metrics,
      log,
    });
    const reporting = lease;
    stopWatchingStore = router.onConnectionChange((up) => {
      // Bridged sessions outlive a Redis outage when idle: the relay stops judging peers while the bus is down.
      bridge.setBusUp(up);
      // Reconnected: report at once rather than at the next tick, so a Redis that came back empty learns of
      // this node and its rooms without waiting.
      if (up) void reporting.reportNow().catch(() => {});
    });
    node.started();
    log.info({ url: node.url, router: router.kind }, 'node serving');
  }

  return { node, start };
}
