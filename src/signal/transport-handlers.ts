/**
 * The handler bookkeeping every SignalTransport shares, whatever carries its frames: frames that arrive before
 * anyone listens wait for the frame handler, and the close handlers run once, including one added after the end.
 * Browser-safe (the client's tsconfig compiles src/signal): no Node imports.
 */
import type { SignalFrame, SignalTransport } from './transport.js';

/** How a transport ended; a transport may record more (who closed it). */
export interface TransportEnd {
  code: number;
  reason: string;
}

export type FrameHandler = (frame: SignalFrame) => void;
export type CloseHandler = (code: number, reason: string) => void;

export class TransportHandlers<End extends TransportEnd = TransportEnd>
  implements Pick<SignalTransport, 'onFrame' | 'onClose' | 'closed'>
{
  private frameHandler?: FrameHandler;
  private readonly early: SignalFrame[] = [];
  private readonly closeHandlers: CloseHandler[] = [];
  private end?: End;

  /** How the transport ended, once it has: the record given to finish(). */
  get closedWith(): End | undefined {
    return this.end;
  }

  get closed(): boolean {
    return this.end !== undefined;
  }

  /** A frame from the client: to the frame handler, or held until there is one; ignored once ended. */
  deliver(frame: SignalFrame): void {
    if (this.end) return;
    if (this.frameHandler) this.frameHandler(frame);
    else this.early.push(frame);
  }

  /** Sets (or replaces) the frame handler; frames that arrived before it are delivered now, still in order. */
  onFrame(handler: FrameHandler): void {
    this.frameHandler = handler;
    for (const frame of this.early.splice(0)) handler(frame);
  }

  /** Runs the handler once when the transport ends, or at once with the same code and reason if it has. */
  onClose(handler: CloseHandler): void {
    if (this.end) handler(this.end.code, this.end.reason);
    else this.closeHandlers.push(handler);
  }

  /** Drops the frames still waiting for a frame handler. */
  dropEarly(): void {
    this.early.length = 0;
  }

  /**
   * Records how the transport ended and runs the close handlers, once: false (and nothing runs) when it had
   * already ended. `teardown` runs after the end is recorded (closed is true) and before any close handler.
   */
  finish(end: End, teardown?: () => void): boolean {
    if (this.end) return false;
    this.end = end;
    teardown?.();
    for (const handler of this.closeHandlers.splice(0)) handler(end.code, end.reason);
    return true;
  }
}
