/**
 * What a signalling session runs over: a client's WebSocket on the room node itself, or a relayed session whose
 * frames travel over the cluster bus from a bridge node. The session handler cannot tell them apart, which is
 * what makes a bridged join and a direct join the same session frame for frame.
 */
export interface SignalTransport {
  /** Sends one text frame to the client; ignored once closed. */
  send(frame: string): void;
  /** Ends the session with a WebSocket close code and a reason; the close handlers run once. */
  close(code: number, reason: string): void;
  /** Called for every frame from the client, in the order the client sent them. */
  onFrame(handler: (frame: string) => void): void;
  /** Called once when the session ends, whichever side ended it. */
  onClose(handler: (code: number, reason: string) => void): void;
  readonly closed: boolean;
}
