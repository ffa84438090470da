import { type ErrorCode, isLkcError, LkcError } from '../../src/errors.js';
import { randomId } from '../../src/ids.js';
import type { BusMessage, NodeBus } from '../bus/node-bus.js';
import type { Logger } from '../logger.js';
import type { RoomNodeCall, RoomNodeCalls } from './room-node-calls.js';

/** A room node that does not answer within this long is reported unavailable. */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;

const CALL = 'room_api.call';
const REPLY = 'room_api.reply';

interface CallMessage extends BusMessage {
  type: typeof CALL;
  call_id: string;
  call: RoomNodeCall;
  params: unknown;
}

interface ReplyMessage extends BusMessage {
  type: typeof REPLY;
  call_id: string;
  ok: boolean;
  result?: unknown;
  error?: { code: ErrorCode; message: string };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export type CallParams<C extends RoomNodeCall> = Parameters<RoomNodeCalls[C]>[0];
export type CallResult<C extends RoomNodeCall> = Awaited<ReturnType<RoomNodeCalls[C]>>;

/**
 * The calling end of Room API calls between nodes: a request on the room node's channel with a correlation id,
 * the answer on this node's channel, or UNAVAILABLE when none comes in time.
 */
export class RoomCallClient {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly bus: NodeBus,
    private readonly timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ) {
    bus.on(REPLY, (message) => this.settle(message as ReplyMessage));
  }

  /** Runs `call` on node `nodeId` and returns its answer; its LkcErrors come back with their codes. */
  async call<C extends RoomNodeCall>(nodeId: string, call: C, params: CallParams<C>): Promise<CallResult<C>> {
    const callId = randomId('RC_', 16);
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(callId);
        reject(
          new LkcError(
            'UNAVAILABLE',
            `node ${nodeId} did not answer the room API call ${call} within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(callId, { resolve, reject, timer });
    });
    // It may settle (timeout, close) while the send is still under way, before anything awaits it.
    answer.catch(() => {});
    try {
      await this.bus.send(nodeId, { type: CALL, call_id: callId, call, params });
    } catch (err) {
      this.forget(callId);
      throw new LkcError('UNAVAILABLE', `could not reach node ${nodeId}: ${(err as Error).message}`);
    }
    return (await answer) as CallResult<C>;
  }

  /** Fails every call still waiting (the node is stopping). */
  close(): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new LkcError('UNAVAILABLE', 'the node is shutting down'));
      this.pending.delete(id);
    }
  }

  private forget(callId: string): void {
    const pending = this.pending.get(callId);
    if (pending) clearTimeout(pending.timer);
    this.pending.delete(callId);
  }

  private settle(message: ReplyMessage): void {
    const pending = this.pending.get(message.call_id);
    // A reply after its call timed out finds nothing to settle.
    if (!pending) return;
    this.forget(message.call_id);
    if (message.ok) pending.resolve(message.result ?? undefined);
    else
      pending.reject(
        new LkcError(message.error?.code ?? 'INTERNAL', message.error?.message ?? 'the call failed'),
      );
  }
}

/** The answering end: runs the Room API calls other nodes send to this node and replies to the sender. */
export function serveRoomCalls(bus: NodeBus, local: RoomNodeCalls, logger: Logger): void {
  bus.on(CALL, async (raw) => {
    const message = raw as CallMessage;
    if (!message.from || typeof message.call_id !== 'string') return;
    const run = Object.hasOwn(local, message.call)
      ? (local[message.call] as (params: unknown) => Promise<unknown>)
      : undefined;
    let reply: ReplyMessage;
    try {
      if (!run) throw new LkcError('BAD_INPUT', `unknown room API call ${String(message.call)}`);
      reply = {
        type: REPLY,
        call_id: message.call_id,
        ok: true,
        result: (await run(message.params)) ?? null,
      };
    } catch (err) {
      const known = isLkcError(err);
      if (!known) logger.error({ err, call: message.call }, 'room API call failed');
      reply = {
        type: REPLY,
        call_id: message.call_id,
        ok: false,
        error: known
          ? { code: err.code, message: err.message }
          : { code: 'INTERNAL', message: 'internal error' },
      };
    }
    await bus.send(message.from, reply);
  });
}
