import { type ErrorCode, isLkcError, LkcError } from '../../src/errors.js';
import { randomId } from '../../src/ids.js';
import type { BusMessage, NodeBus } from '../bus.js';
import type { Logger } from '../logger.js';
import type { RoomNodeCall, RoomNodeCalls } from './room-node.js';

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

type Params<C extends RoomNodeCall> = Parameters<RoomNodeCalls[C]>[0];
type Result<C extends RoomNodeCall> = Awaited<ReturnType<RoomNodeCalls[C]>>;

/**
 * Room API calls between nodes: a request on the room node's channel with a correlation id, the answer on the
 * caller's channel. A call to this node runs directly.
 */
export class RoomBusCalls {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly nodeId: string,
    private readonly bus: NodeBus,
    private readonly local: RoomNodeCalls,
    private readonly logger: Logger,
    private readonly timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ) {
    bus.on(CALL, (message) => this.serve(message as CallMessage));
    bus.on(REPLY, (message) => this.settle(message as ReplyMessage));
  }

  /** Runs `call` on node `nodeId` and returns its answer; UNAVAILABLE when that node does not answer in time. */
  async call<C extends RoomNodeCall>(nodeId: string, call: C, params: Params<C>): Promise<Result<C>> {
    const run = this.local[call] as (p: Params<C>) => Promise<Result<C>>;
    if (nodeId === this.nodeId) return run(params);
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
    try {
      await this.bus.send(nodeId, { type: CALL, call_id: callId, call, params });
    } catch (err) {
      this.forget(callId);
      throw new LkcError('UNAVAILABLE', `could not reach node ${nodeId}: ${(err as Error).message}`);
    }
    return (await answer) as Result<C>;
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

  private async serve(message: CallMessage): Promise<void> {
    if (!message.from || typeof message.call_id !== 'string') return;
    const run = Object.hasOwn(this.local, message.call)
      ? (this.local[message.call] as (params: unknown) => Promise<unknown>)
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
      if (!known) this.logger.error({ err, call: message.call }, 'room API call failed');
      reply = {
        type: REPLY,
        call_id: message.call_id,
        ok: false,
        error: known
          ? { code: err.code, message: err.message }
          : { code: 'INTERNAL', message: 'internal error' },
      };
    }
    await this.bus.send(message.from, reply);
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
