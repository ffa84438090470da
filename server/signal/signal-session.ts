import { errorWire, isLkcError } from '../../src/errors.js';
import { CloseCode, describeCloseCode } from '../../src/signal/close-codes.js';
import { parseRequest } from '../../src/signal/parse.js';
import type { SignalErrorCode, SignalRequest } from '../../src/signal/protocol.js';
import { errorResponse, okResponse, SignalRequestError } from '../../src/signal/responses.js';
import type { SignalTransport } from '../../src/signal/transport.js';
import { mediasoupRefusal } from '../media/mediasoup-errors.js';
import type { Participant } from '../media/participant.js';
import type { Room } from '../media/room.js';
import { RoomSignals } from './room-signals.js';
import type { HandlerSession, SessionContext } from './session-context.js';
import { METHOD_HANDLERS } from './signal-methods.js';

/** What a failed request answers: our own refusals as they are, mediasoup's parameter errors as invalid_data. */
function refusal(err: unknown): { code: SignalErrorCode; message: string } | undefined {
  if (err instanceof SignalRequestError) return { code: err.code, message: err.message };
  if (isLkcError(err)) return { code: errorWire(err.code).signal, message: err.message };
  if (err instanceof TypeError || (err instanceof Error && err.name === 'UnsupportedError')) {
    return { code: 'invalid_data', message: err.message };
  }
  if (err instanceof Error && err.name === 'InvalidStateError')
    return { code: 'unavailable', message: err.message };
  return mediasoupRefusal(err);
}

/**
 * One client's signalling session on the node that hosts its room, over a WebSocket or a relayed session alike.
 * Requests are handled one at a time in arrival order, so answers leave in the order the requests came.
 */
export class SignalSession implements HandlerSession {
  participant?: Participant;
  readonly identity: string;
  readonly hub: RoomSignals;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly transport: SignalTransport,
    readonly ctx: SessionContext,
  ) {
    this.identity = ctx.identity;
    this.hub = RoomSignals.of(ctx.room, ctx.host);
    this.hub.attach(this);
    transport.onFrame((received) => {
      // Our protocol is JSON text; a client that sends it in a binary frame is read the same way.
      const frame = typeof received === 'string' ? received : Buffer.from(received).toString('utf8');
      // A failure here must not leave the queue rejected: every later frame would be skipped.
      this.queue = this.queue
        .then(() => this.handle(frame))
        .catch((err: unknown) =>
          this.ctx.logger.error({ err, identity: this.identity }, 'signalling frame failed'),
        );
    });
    transport.onClose((code, reason) => this.ended(code, reason));
    if (ctx.room.closed) transport.close(CloseCode.ROOM_CLOSED, `room ${ctx.room.name} is closed`);
  }

  get room(): Room {
    return this.ctx.room;
  }

  /** Sends one already serialised frame. */
  sendFrame(frame: string): void {
    this.transport.send(frame);
  }

  send(message: unknown): void {
    this.transport.send(JSON.stringify(message));
  }

  private async handle(frame: string): Promise<void> {
    if (this.transport.closed) return;
    const parsed = parseRequest(frame);
    if (!parsed.ok) {
      this.send(parsed.response);
      return;
    }
    const request = parsed.request;
    try {
      const handler = METHOD_HANDLERS[request.method] as (
        s: HandlerSession,
        r: SignalRequest['data'],
      ) => Promise<object>;
      const answer = await handler(this, request.data);
      this.send(okResponse(request.id, answer as never));
    } catch (err) {
      const known = refusal(err);
      if (!known)
        this.ctx.logger.error(
          { err, method: request.method, identity: this.identity },
          'signalling request failed',
        );
      const { code, message } = known ?? { code: 'internal' as const, message: 'internal error' };
      this.send(errorResponse(request.id, code, message));
    }
    if (request.method === 'leave') this.transport.close(CloseCode.NORMAL, 'left the room');
  }

  private ended(code: number, reason: string): void {
    this.hub.remove(this);
    const participant = this.participant;
    if (participant && this.room.participants.get(this.identity) === participant) {
      this.room.removeParticipant(
        this.identity,
        reason || `socket closed (${code} ${describeCloseCode(code)})`,
      );
    }
  }
}
