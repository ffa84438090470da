/**
 * The floor of bench/media: a bare mediasoup SFU with no lk-cluster code, in a process of its own so that its CPU
 * is counted as the node's is. It speaks the subset of our JSON protocol the load-test bots use (join,
 * createWebRtcTransport, connectWebRtcTransport, produce, consume, resumeConsumer, newProducer), reads the room
 * from the token without checking it, and makes the same mediasoup objects a node makes for the same bots: one
 * Router per room with the same codecs, the same WebRtcTransport options, producers and paused consumers. Nothing
 * else: no rooms, stats, speaker observer, logging or events. Started by bench/media/run.ts with
 * `--port-range A-B --workers N [--plain]`: rooms go to the workers in turn; `--plain` answers
 * createWebRtcTransport with a PlainTransport (no ICE, DTLS or SRTP: `plain: true` tells the bots), the floor
 * without SRTP. Prints `floor listening on PORT pids P,W1,W2..` and waits, until its parent goes away.
 */
import { createServer } from 'node:http';
import { createWorker, type types } from 'mediasoup';
import { WebSocketServer } from 'ws';
// The node's own codec list (data, no node code): the floor's routers must offer exactly what a node's do.
import { MEDIA_CODECS } from '../../server/media/media-codecs.js';

const option = (name: string, fallback: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback;
const [minPort, maxPort] = option('--port-range', '40000-40999').split('-').map(Number) as [number, number];
const workerCount = Number(option('--workers', '1'));
const plain = process.argv.includes('--plain');

interface Peer {
  identity: string;
  send(frame: unknown): void;
  transports: Map<string, types.WebRtcTransport>;
}

interface FloorRoom {
  router: types.Router;
  peers: Set<Peer>;
  producers: { id: string; participant: string; kind: types.MediaKind }[];
  /** Its worker's slice of the port range. */
  ports: { min: number; max: number };
}

// Each worker its own slice of the port range, as a node's worker pool does.
const slice = Math.floor((maxPort - minPort + 1) / workerCount);
const workers = await Promise.all(
  Array.from({ length: workerCount }, (_, i) =>
    createWorker({
      logLevel: 'warn',
      rtcMinPort: minPort + i * slice,
      rtcMaxPort: minPort + (i + 1) * slice - 1,
    }),
  ),
);
const rooms = new Map<string, Promise<FloorRoom>>();

function roomOf(name: string): Promise<FloorRoom> {
  let room = rooms.get(name);
  if (!room) {
    const index = rooms.size % workers.length;
    const ports = { min: minPort + index * slice, max: minPort + (index + 1) * slice - 1 };
    room = workers[index]!.createRouter({ mediaCodecs: MEDIA_CODECS }).then((router) => ({
      router,
      peers: new Set<Peer>(),
      producers: [],
      ports,
    }));
    rooms.set(name, room);
  }
  return room;
}

function claims(url: string): { sub: string; video: { room: string } } {
  const token = new URL(url, 'http://floor').searchParams.get('access_token') ?? '';
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

// biome-ignore lint/suspicious/noExplicitAny: mediasoup checks the parameters the bots send
type Data = Record<string, any>;

async function handle(room: FloorRoom, peer: Peer, method: string, data: Data): Promise<unknown> {
  const transport = () => {
    const found = peer.transports.get(data.transportId);
    if (!found) throw new Error(`no transport ${data.transportId}`);
    return found;
  };
  switch (method) {
    case 'join':
      room.peers.add(peer);
      return {
        routerRtpCapabilities: room.router.rtpCapabilities,
        producers: room.producers.map((p) => ({ ...p, source: 'camera', paused: false })),
      };
    case 'createWebRtcTransport': {
      if (plain) {
        const created = await room.router.createPlainTransport({
          listenInfo: { protocol: 'udp', ip: '127.0.0.1', portRange: room.ports },
          rtcpMux: true,
          comedia: true,
        });
        peer.transports.set(created.id, created as unknown as types.WebRtcTransport);
        const { localAddress, localPort } = created.tuple;
        return {
          id: created.id,
          plain: true,
          iceCandidates: [{ address: localAddress, port: localPort, protocol: 'udp' }],
        };
      }
      const created = await room.router.createWebRtcTransport({
        listenInfos: [
          { protocol: 'udp', ip: '127.0.0.1', portRange: room.ports },
          { protocol: 'tcp', ip: '127.0.0.1', portRange: room.ports },
        ],
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
        enableSctp: true,
        numSctpStreams: { OS: 1024, MIS: 1024 },
      });
      peer.transports.set(created.id, created);
      const { id, iceParameters, iceCandidates, dtlsParameters, sctpParameters } = created;
      return { id, iceParameters, iceCandidates, dtlsParameters, sctpParameters };
    }
    case 'connectWebRtcTransport':
      if (!plain) await transport().connect({ dtlsParameters: data.dtlsParameters });
      return {};
    case 'produce': {
      const producer = await transport().produce({ kind: data.kind, rtpParameters: data.rtpParameters });
      const info = { id: producer.id, participant: peer.identity, kind: producer.kind };
      room.producers.push(info);
      for (const other of room.peers) {
        if (other !== peer)
          other.send({
            notification: true,
            method: 'newProducer',
            data: { producer: { ...info, source: 'camera', paused: false } },
          });
      }
      return { id: producer.id };
    }
    case 'consume': {
      const owner = room.producers.find((p) => p.id === data.producerId);
      const consumer = await transport().consume({
        producerId: data.producerId,
        rtpCapabilities: data.rtpCapabilities,
        paused: true,
      });
      consumers.set(consumer.id, consumer);
      return {
        id: consumer.id,
        producerId: consumer.producerId,
        participant: owner?.participant,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
        paused: consumer.paused,
        producerPaused: consumer.producerPaused,
      };
    }
    case 'resumeConsumer':
      await consumers.get(data.consumerId)?.resume();
      return {};
    default:
      throw new Error(`the floor does not do ${method}`);
  }
}

const consumers = new Map<string, types.Consumer>();
const http = createServer();
const sockets = new WebSocketServer({ server: http, path: '/rtc' });
sockets.on('connection', (socket, req) => {
  const { sub, video } = claims(req.url ?? '');
  const peer: Peer = { identity: sub, send: (f) => socket.send(JSON.stringify(f)), transports: new Map() };
  const room = roomOf(video.room);
  let queue = Promise.resolve();
  socket.on('message', (raw) => {
    const { id, method, data } = JSON.parse(String(raw));
    queue = queue.then(async () => {
      try {
        peer.send({ id, ok: true, data: await handle(await room, peer, method, data ?? {}) });
      } catch (err) {
        peer.send({ id, ok: false, error: { code: 'internal', message: (err as Error).message } });
      }
    });
  });
  socket.on('close', () =>
    room.then((r) => {
      r.peers.delete(peer);
      for (const t of peer.transports.values()) t.close();
      r.producers = r.producers.filter((p) => p.participant !== peer.identity);
    }),
  );
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`floor listening on ${port} pids ${[process.pid, ...workers.map((w) => w.pid)].join(',')}`);
});
// Closing the workers first lets this process reap them: left to its parent's death they would linger as zombies.
const stop = () => {
  for (const worker of workers) worker.close();
  setTimeout(() => process.exit(0), 100);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
