import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookEvent } from '@livekit/protocol';
import { createWebhookToken } from '../../src/auth/token.js';
import type { Logger } from '../logger.js';
import type { NodeMetrics } from '../metrics.js';

export interface WebhookQueueOptions {
  urls: string[];
  apiKey: string;
  apiSecret: string;
  metrics: Pick<NodeMetrics, 'countWebhook' | 'setWebhookQueue' | 'webhookRetries' | 'webhookSendSeconds'>;
  log: Logger;
  /** Deliveries (an event for one URL) waiting on this node at most; more are dropped. */
  maxQueued?: number;
  /** One request's bound. */
  requestTimeoutMs?: number;
  /** How long a delivery is retried from its first attempt before it is given up. */
  retryForMs?: number;
  firstBackoffMs?: number;
  maxBackoffMs?: number;
}

export const WEBHOOK_DEFAULTS = {
  maxQueued: 1000,
  requestTimeoutMs: 5000,
  retryForMs: 60_000,
  firstBackoffMs: 500,
  maxBackoffMs: 8000,
};

/** The content type LiveKit's server posts its webhooks with. */
export const WEBHOOK_CONTENT_TYPE = 'application/webhook+json';

type Outcome = 'sent' | 'failed' | 'dropped';

interface Delivery {
  event: string;
  body: string;
  token: () => Promise<string>;
}

/** The deliveries of one room to one URL, sent one after the other. */
interface Lane {
  url: string;
  items: Delivery[];
  running: boolean;
}

const WARN_EVERY_MS = 5000;

/**
 * The node's outgoing webhooks. Each room has a lane per URL, sent in order, one request at a time, so a room's
 * events arrive in the order they happened while rooms do not wait on one another. A request that fails (an error
 * status, no answer within the timeout, no connection) is retried with doubling backoff until `retryForMs` after
 * its first attempt, then given up; a full queue drops new deliveries. Pushing never waits: the room's event
 * handlers only enqueue.
 */
export class WebhookQueue {
  private readonly options: Required<WebhookQueueOptions>;
  private readonly lanes = new Map<string, Lane>();
  private queued = 0;
  private closing = false;
  private readonly abort = new AbortController();
  private idleWaiters: Array<() => void> = [];
  private lastWarning = 0;

  constructor(options: WebhookQueueOptions) {
    this.options = { ...WEBHOOK_DEFAULTS, ...options };
  }

  get length(): number {
    return this.queued;
  }

  /** Queues `event` for every URL in the lane of `room`; drops it (counted) when the queue is full or closing. */
  push(room: string, event: WebhookEvent): void {
    const body = event.toJsonString();
    let token: Promise<string> | undefined;
    // One token per event, made when first needed and reused for every URL and retry (it lives 5 minutes).
    const delivery: Delivery = {
      event: event.event,
      body,
      token: () => {
        token ??= createWebhookToken(this.options.apiKey, this.options.apiSecret, body);
        return token;
      },
    };
    for (const url of this.options.urls) {
      if (this.closing || this.queued >= this.options.maxQueued) {
        this.count(delivery, 'dropped');
        this.warn({ event: event.event, queued: this.queued }, 'webhook queue is full: event dropped');
        continue;
      }
      const key = `${url}\n${room}`;
      let lane = this.lanes.get(key);
      if (!lane) {
        lane = { url, items: [], running: false };
        this.lanes.set(key, lane);
      }
      lane.items.push(delivery);
      this.queued++;
      this.options.metrics.setWebhookQueue(this.queued);
      if (!lane.running) {
        lane.running = true;
        // Sent outside the caller's stack: a room's event handler returns at once.
        setImmediate(() => void this.run(key, lane!));
      }
    }
  }

  /**
   * Stops taking events and gives the queued ones up to `graceMs` to go out (a room_finished of a room closed at
   * shutdown still arrives when the endpoint answers); then aborts what is left, counted as dropped.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.queued > 0) {
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([idle, grace]);
      clearTimeout(timer);
    }
    this.abort.abort();
    if (this.queued > 0) {
      this.options.log.warn({ queued: this.queued }, 'webhooks not delivered before the node stopped');
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private async run(key: string, lane: Lane): Promise<void> {
    while (lane.items.length > 0) {
      const delivery = lane.items[0]!;
      const outcome = this.abort.signal.aborted ? 'dropped' : await this.deliver(lane.url, delivery);
      lane.items.shift();
      this.queued--;
      this.options.metrics.setWebhookQueue(this.queued);
      this.count(delivery, outcome);
    }
    lane.running = false;
    if (this.lanes.get(key) === lane) this.lanes.delete(key);
    if (this.queued === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async deliver(url: string, delivery: Delivery): Promise<Outcome> {
    const { retryForMs, firstBackoffMs, maxBackoffMs } = this.options;
    const giveUpAt = Date.now() + retryForMs;
    let backoff = firstBackoffMs;
    let lastError = '';
    for (;;) {
      const error = await this.attempt(url, delivery);
      if (error === undefined) return 'sent';
      lastError = error;
      if (this.abort.signal.aborted) return 'dropped';
      if (Date.now() + backoff > giveUpAt) break;
      this.options.metrics.webhookRetries.inc();
      try {
        await sleep(backoff, undefined, { signal: this.abort.signal });
      } catch {
        return 'dropped';
      }
      backoff = Math.min(backoff * 2, maxBackoffMs);
    }
    this.warn(
      { event: delivery.event, url: redactUrl(url), err: lastError, retriedForMs: retryForMs },
      'webhook not delivered: gave up',
    );
    return 'failed';
  }

  /** One POST; undefined when the endpoint answered 2xx, else what went wrong. */
  private async attempt(url: string, delivery: Delivery): Promise<string | undefined> {
    const end = this.options.metrics.webhookSendSeconds.startTimer();
    let result: 'ok' | 'error' = 'error';
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': WEBHOOK_CONTENT_TYPE, authorization: await delivery.token() },
        body: delivery.body,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.requestTimeoutMs), this.abort.signal]),
      });
      // Read the answer so that the connection is reused; its content does not matter.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        result = 'ok';
        return undefined;
      }
      return `HTTP ${response.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return cause?.code ?? cause?.message ?? (err as Error).message;
    } finally {
      end({ result });
    }
  }

  private count(delivery: Delivery, outcome: Outcome): void {
    this.options.metrics.countWebhook(delivery.event, outcome);
  }

  private warn(fields: Record<string, unknown>, message: string): void {
    if (Date.now() - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = Date.now();
    this.options.log.warn(fields, message);
  }
}

/** A URL as logs show it: without user info or query (either may hold a secret). */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
