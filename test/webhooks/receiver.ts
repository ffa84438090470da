import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { WebhookEvent } from 'livekit-server-sdk';
import { WebhookReceiver } from 'livekit-server-sdk';
import { TEST_KEY, TEST_SECRET } from '../helpers/node-process.js';
import { freePort } from '../helpers/ports.js';

/** One request the receiver took, verified by LiveKit's own WebhookReceiver. */
export interface Received {
  /** The status it answered with. */
  status: number;
  event: WebhookEvent;
  body: string;
  headers: IncomingHttpHeaders;
  /** Epoch milliseconds it arrived. */
  at: number;
}

/** A backend's webhook endpoint: every request is checked with livekit-server-sdk's WebhookReceiver. */
export interface TestReceiver {
  url: string;
  /** Requests whose signature and body verified, with the status answered. */
  requests: Received[];
  /** The events answered 2xx, in arrival order. */
  accepted(): WebhookEvent[];
  /** Requests WebhookReceiver refused, with why. */
  refused: string[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP endpoint on a free loopback port. `answer` picks each request's status (default 200) and may
 * delay it; it sees the verified event and how many requests came before.
 */
export async function startReceiver(
  answer: (event: WebhookEvent, index: number) => number | Promise<number> = () => 200,
  secret = TEST_SECRET,
): Promise<TestReceiver> {
  const verifier = new WebhookReceiver(TEST_KEY, secret);
  const requests: Received[] = [];
  const refused: string[] = [];
  let index = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const at = Date.now();
      void (async () => {
        let event: WebhookEvent;
        try {
          event = await verifier.receive(body, req.headers.authorization);
        } catch (err) {
          refused.push((err as Error).message);
          res.writeHead(401).end();
          return;
        }
        const status = await answer(event, index++);
        requests.push({ status, event, body, headers: req.headers, at });
        if (!res.destroyed) res.writeHead(status).end();
      })();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/livekit/webhook`,
    requests,
    refused,
    accepted: () => requests.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.event),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An endpoint that accepts connections and never answers: each request ends only by the sender's timeout. */
export async function startBlackHole(): Promise<{
  url: string;
  connections(): number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/hook`,
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A URL nothing listens on: every connection is refused. */
export async function refusedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/hook`;
}
