import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port that forwards to `target` and holds every chunk `delayMs` in each direction
 * before passing it on: a distant Redis on a kernel without netem. Order is kept (a chunk never leaves before one
 * that arrived earlier, even when the delay is lowered at run time), a slow reader pauses the writer instead of
 * the proxy buffering without end, and when one side ends or breaks, the other does too (an end after the data
 * queued before it).
 */
export interface DelayProxy {
  port: number;
  /** `127.0.0.1:port`, for a config's redis.address. */
  address: string;
  /** The delay of each direction now. */
  readonly delayMs: number;
  /** Changes the delay of each direction for chunks that arrive from now on. */
  setDelay(ms: number): void;
  /** Bytes passed on so far: `up` towards the target, `down` back to the clients. */
  bytes(): { up: number; down: number };
  /** Connections open now. */
  connections(): number;
  /** Stops listening and ends every connection at once. */
  close(): Promise<void>;
}

/** A proxy direction buffers at most this much before it pauses the side it reads from. */
const HIGH_WATER = 1 << 20;

/** One direction of one connection: `from` -> delay -> `to`. */
class DelayedPipe {
  private readonly queue: Array<{ at: number; chunk: Buffer | null }> = [];
  private queuedBytes = 0;
  private lastAt = 0;
  private timer?: NodeJS.Timeout;
  private blocked = false;
  /** The reading side ended cleanly: its end is queued behind its data. */
  ended = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly delay: () => number,
    private readonly count: (bytes: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => {
      this.push(chunk);
      this.queuedBytes += chunk.length;
      if (this.queuedBytes > HIGH_WATER) from.pause();
    });
    // An end travels behind the data queued before it.
    from.on('end', () => {
      this.ended = true;
      this.push(null);
    });
    to.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private push(chunk: Buffer | null): void {
    // Never before the previous chunk: a lowered delay must not reorder the stream.
    const at = Math.max(Date.now() + this.delay(), this.lastAt);
    this.lastAt = at;
    this.queue.push({ at, chunk });
    if (this.queue.length === 1 && !this.blocked) this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const head = this.queue[0];
    if (!head) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, head.at - Date.now()));
  }

  private flush(): void {
    const now = Date.now();
    while (this.queue.length && this.queue[0]!.at <= now && !this.blocked) {
      const { chunk } = this.queue.shift()!;
      if (chunk === null) {
        this.to.end();
        return;
      }
      if (this.to.destroyed) return;
      this.queuedBytes -= chunk.length;
      this.count(chunk.length);
      if (!this.to.write(chunk)) this.blocked = true;
    }
    if (this.queuedBytes <= HIGH_WATER / 2 && this.from.isPaused()) this.from.resume();
    if (!this.blocked) this.arm();
  }
}

/** Starts a delay proxy to `target` (e.g. a test redis-server) holding each chunk `delayMs` each way. */
export async function startDelayProxy(
  target: { host?: string; port: number },
  delayMs: number,
): Promise<DelayProxy> {
  let delay = delayMs;
  const totals = { up: 0, down: 0 };
  const open = new Map<Socket, Socket[]>();
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = createConnection({
      host: target.host ?? '127.0.0.1',
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    const pair = [client, upstream];
    open.set(client, pair);
    open.set(upstream, pair);
    const up = new DelayedPipe(
      client,
      upstream,
      () => delay,
      (n) => {
        totals.up += n;
      },
    );
    const down = new DelayedPipe(
      upstream,
      client,
      () => delay,
      (n) => {
        totals.down += n;
      },
    );
    // One side broken (an error, a reset, destroyed without an end): the other goes with it at once. A side that
    // ended cleanly has its end queued behind its data instead, and closes once the other side ends too.
    const closeBoth = () => {
      up.stop();
      down.stop();
      client.destroy();
      upstream.destroy();
    };
    for (const [socket, pipe] of [
      [client, up],
      [upstream, down],
    ] as const) {
      socket.on('error', closeBoth);
      socket.on('close', () => {
        open.delete(socket);
        if (!pipe.ended) closeBoth();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    get delayMs() {
      return delay;
    },
    setDelay(ms) {
      delay = ms;
    },
    bytes: () => ({ ...totals }),
    connections: () => new Set(open.values()).size,
    close() {
      for (const socket of open.keys()) socket.destroy();
      open.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
