import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type DelayProxy, startDelayProxy } from '../helpers/delay-proxy.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor, within } from '../helpers/wait.js';

/** A TCP echo server on a free loopback port. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

function connect(port: number): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => {});
  return within(
    once(socket, 'connect').then(() => socket),
    5000,
    `a connection to the proxy on ${port}`,
  );
}

/** Everything `socket` receives until it has `bytes` of it. */
function receive(socket: Socket, bytes: number, timeoutMs: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  const done = new Promise<Buffer>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes) resolve(Buffer.concat(chunks));
    });
  });
  return within(done, timeoutMs, `${bytes} bytes back (got ${got})`);
}

describe('the delay proxy', () => {
  let echo: { server: Server; port: number };
  let redis: TestRedis;
  const proxies: DelayProxy[] = [];

  before(async () => {
    echo = await echoServer();
    redis = await startRedis();
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    echo?.server.close();
    await redis?.stop();
  });

  async function proxy(port: number, delayMs: number): Promise<DelayProxy> {
    const p = await startDelayProxy({ port }, delayMs);
    proxies.push(p);
    return p;
  }

  it('keeps the order of many small writes, also when the delay changes mid-stream, and counts the bytes', async () => {
    const p = await proxy(echo.port, 30);
    const socket = await connect(p.port);
    const lines = Array.from({ length: 3000 }, (_, i) => `${i};`);
    const expected = lines.join('');
    const back = receive(socket, expected.length, 15_000);
    for (const [i, line] of lines.entries()) {
      // Lowering the delay must not let later chunks overtake earlier ones, nor raising it split them.
      if (i === 1000) p.setDelay(0);
      if (i === 2000) p.setDelay(60);
      socket.write(line);
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await back).toString(), expected);
    assert.deepEqual(p.bytes(), { up: expected.length, down: expected.length });
    socket.destroy();
  });

  it('passes a large transfer through whole (a slow reader pauses the writer)', async () => {
    const p = await proxy(echo.port, 5);
    const socket = await connect(p.port);
    const payload = randomBytes(6 << 20);
    const back = receive(socket, payload.length, 30_000);
    // Not read for a while: the proxy's writes back are refused, and it must wait for 'drain', not drop or reorder.
    socket.pause();
    socket.write(payload);
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.resume();
    assert.ok((await back).equals(payload), 'the bytes came back unchanged');
    socket.destroy();
  });

  it('delays a Redis PING by the delay each way: the round trip is about twice the delay', async (t) => {
    const delayMs = 50;
    const p = await proxy(redis.port, delayMs);
    const client = new Redis(p.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    try {
      await within(client.connect(), 5000, 'ioredis to connect through the proxy');
      const rtt = async () => {
        const start = performance.now();
        assert.equal(await client.ping(), 'PONG');
        return performance.now() - start;
      };
      const at50 = [await rtt(), await rtt(), await rtt()];
      p.setDelay(150);
      await rtt(); // a chunk already queued at the old delay may still be ahead: let it pass
      const at150 = [await rtt(), await rtt(), await rtt()];
      t.diagnostic(
        `PING through the proxy: ${at50.map((ms) => ms.toFixed(1)).join(', ')} ms at 50 ms each way`,
      );
      t.diagnostic(
        `PING through the proxy: ${at150.map((ms) => ms.toFixed(1)).join(', ')} ms at 150 ms each way`,
      );
      // Timers fire late on a loaded machine, never early: every round trip is at least 2D, and the median of
      // three within 100 ms above it (the shared cores' scheduling).
      const median = (values: number[]) => [...values].sort((x, y) => x - y)[1]!;
      for (const [d, values] of [
        [50, at50],
        [150, at150],
      ] as const) {
        for (const ms of values)
          assert.ok(ms >= 2 * d - 1, `${ms} ms at ${d} ms each way is at least ${2 * d}`);
        assert.ok(median(values) < 2 * d + 100, `median ${median(values)} ms at ${d} ms each way`);
      }
    } finally {
      client.disconnect();
    }
  });

  it('ends the other side after the data queued before an end, and close() ends every connection', async () => {
    const p = await proxy(echo.port, 40);
    const first = await connect(p.port);
    const back = receive(first, 5, 5000);
    first.end('hello');
    // The echo server ends its side when ours ends: the end comes back behind the echoed bytes.
    assert.equal((await back).toString(), 'hello');
    await within(once(first, 'close'), 5000, 'the half-closed connection to close');

    const sockets = await Promise.all([connect(p.port), connect(p.port), connect(p.port)]);
    await waitFor(() => p.connections() === 3, { timeoutMs: 5000, what: 'three proxied connections' });
    const closed = sockets.map((s) => once(s, 'close'));
    await p.close();
    await within(Promise.all(closed), 5000, 'every client connection to close');
    assert.equal(p.connections(), 0);
  });
});
