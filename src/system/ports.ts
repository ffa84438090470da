import { createServer } from 'node:net';
import { LkcError } from '../errors.js';

/** An inclusive range of UDP ports. */
export interface PortRange {
  start: number;
  end: number;
}

/**
 * Splits `range` into `count` contiguous slices of near-equal size (the first ones one port larger when it does
 * not divide evenly): one per node of a local cluster, or one per mediasoup worker of a node.
 */
export function splitPortRange(range: PortRange, count: number): PortRange[] {
  const size = range.end - range.start + 1;
  if (count < 1 || size < count) {
    throw new LkcError(
      'BAD_INPUT',
      `UDP port range ${range.start}-${range.end} has ${size} ports, too few for ${count} slices: widen rtc.udp_port_range_start/end`,
    );
  }
  const base = Math.floor(size / count);
  const extra = size % count;
  const slices: PortRange[] = [];
  let start = range.start;
  for (let i = 0; i < count; i++) {
    const length = base + (i < extra ? 1 : 0);
    slices.push({ start, end: start + length - 1 });
    start += length;
  }
  return slices;
}

/** True when nothing listens on `port` (TCP) at `host`. */
export function isPortFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first free TCP port at or after `from`, skipping `taken` (ports already handed to other nodes). */
export async function nextFreePort(
  from: number,
  taken: ReadonlySet<number> = new Set(),
  host?: string,
): Promise<number> {
  for (let port = from; port <= 65535; port++) {
    if (taken.has(port)) continue;
    if (await isPortFree(port, host)) return port;
  }
  throw new LkcError('UNAVAILABLE', `no free TCP port at or above ${from}: pass another --port`);
}
