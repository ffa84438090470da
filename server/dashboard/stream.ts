import type { ServerResponse } from 'node:http';
import type { TokenClaims } from '../../src/auth/token.js';
import { LkcError } from '../../src/errors.js';
import type { ClusterSampler } from './sampler.js';
import type { Snapshot } from './wire.js';

/** Pages watching one node at most at once; each costs a socket and a JSON encoding a second. */
export const MAX_STREAMS = 32;

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The dashboard's server-sent events: one stream per page, `history` once, then a `snapshot` each time the
 * sampler looks (about once a second). A stream ends with `expired` when its token runs out; the page reopens
 * it with the fresh token it has by then.
 */
export class DashboardStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly sampler: ClusterSampler,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.open.size;
  }

  serve(res: ServerResponse, claims: TokenClaims): void {
    if (this.open.size >= MAX_STREAMS)
      throw new LkcError('RESOURCE_EXHAUSTED', `this node serves ${MAX_STREAMS} dashboards already`);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    this.open.add(res);
    res.write(frame('history', this.sampler.history()));
    const latest = this.sampler.latest();
    if (latest) res.write(frame('snapshot', latest));
    const onSnapshot = (snapshot: Snapshot) => {
      if (this.now() >= claims.expiresAt * 1000) {
        res.end(frame('expired', { message: 'the access token has expired: log in again' }));
        return;
      }
      res.write(frame('snapshot', snapshot));
    };
    this.sampler.on('snapshot', onSnapshot);
    res.on('close', () => {
      this.sampler.off('snapshot', onSnapshot);
      this.open.delete(res);
    });
  }

  /** Ends every stream (the node stops: HTTP cannot close while they are open). */
  close(): void {
    for (const res of this.open) res.end(frame('bye', { message: 'the node is shutting down' }));
    this.open.clear();
  }
}
