/**
 * What a signalling session runs over: a client's WebSocket on the room node itself, or a relayed session whose
 * frames travel over the cluster bus from a bridge node. The session handler cannot tell them apart, which is
 * what makes a bridged join and a direct join the same session frame for frame.
 */
/** One signalling frame: text (our JSON protocol) or binary (LiveKit's protobuf). */
export type SignalFrame = string | Uint8Array;

export interface SignalTransport {
  /** Sends one frame to the client as it is (text or binary); ignored once closed. */
  send(frame: SignalFrame): void;
  /** Ends the session with a WebSocket close code and a reason; the close handlers run once. */
  close(code: number, reason: string): void;
  /** Called for every frame from the client, in the order the client sent them. */
  onFrame(handler: (frame: SignalFrame) => void): void;
  /** Called once when the session ends, whichever side ended it. */
  onClose(handler: (code: number, reason: string) => void): void;
  readonly closed: boolean;
}
