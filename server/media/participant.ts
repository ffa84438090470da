import type { types } from 'mediasoup';
import { randomId } from '../../src/ids.js';

/**
 * One participant of a room and the media objects it owns. Each object leaves its map when mediasoup closes
 * it, for whatever reason (its transport closed, the producer it consumed closed, the worker died).
 */
export class Participant {
  readonly sid = randomId('PA_');
  readonly joinedAt = Date.now();
  readonly transports = new Map<string, types.WebRtcTransport>();
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  closed = false;

  constructor(
    readonly identity: string,
    public name = '',
    public metadata = '',
  ) {}

  addTransport(transport: types.WebRtcTransport): void {
    this.transports.set(transport.id, transport);
    transport.observer.once('close', () => this.transports.delete(transport.id));
  }

  addProducer(producer: types.Producer): void {
    this.producers.set(producer.id, producer);
    producer.observer.once('close', () => this.producers.delete(producer.id));
  }

  addConsumer(consumer: types.Consumer): void {
    this.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
  }

  /** True when the participant publishes at least one track. */
  get isPublisher(): boolean {
    return this.producers.size > 0;
  }

  /** Closes every transport, which closes its producers and consumers with it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const transport of [...this.transports.values()]) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }
}
