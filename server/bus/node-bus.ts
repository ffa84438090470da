import type { Router as ClusterRouter } from '../../src/routing/types.js';
import type { Logger } from '../logger.js';

/** A message between nodes: JSON with a `type` that picks its handler, and the sender's node id. */
export interface BusMessage {
  type: string;
  /** Sender node id (set by `send`). */
  from?: string;
  [field: string]: unknown;
}

export type BusMessageHandler = (message: BusMessage) => unknown;

/**
 * This node's end of the cluster bus: receives the messages published to its channel and hands each to the
 * handler registered for its `type` (relayed signal frames, room API calls, ...).
 */
export class NodeBus {
  private readonly handlers = new Map<string, BusMessageHandler>();
  private unsubscribe?: () => Promise<void>;

  constructor(
    private readonly cluster: ClusterRouter,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {}

  /** Registers the handler of one message type; a second handler for the same type is a programming error. */
  on(type: string, handler: BusMessageHandler): this {
    if (this.handlers.has(type)) throw new Error(`bus message type ${type} already has a handler`);
    this.handlers.set(type, handler);
    return this;
  }

  /** Subscribes to this node's channel. */
  async start(): Promise<void> {
    this.unsubscribe = await this.cluster.subscribe(this.nodeId, (raw) => this.dispatch(raw));
  }

  /** Publishes `message` to node `nodeId`'s channel. */
  async send(nodeId: string, message: BusMessage): Promise<void> {
    await this.cluster.publish(nodeId, JSON.stringify({ ...message, from: this.nodeId }));
  }

  async stop(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.();
  }

  private dispatch(raw: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(raw) as BusMessage;
    } catch {
      this.logger.warn({ bytes: raw.length }, 'dropped a bus message that is not JSON');
      return;
    }
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') {
      this.logger.warn('dropped a bus message without a type');
      return;
    }
    const handler = this.handlers.get(message.type);
    if (!handler) {
      this.logger.debug({ type: message.type, from: message.from }, 'no handler for bus message');
      return;
    }
    try {
      const result = handler(message);
      if (result instanceof Promise) {
        result.catch((err) =>
          this.logger.error({ type: message.type, err: (err as Error).message }, 'bus handler failed'),
        );
      }
    } catch (err) {
      this.logger.error({ type: message.type, err: (err as Error).message }, 'bus handler failed');
    }
  }
}
