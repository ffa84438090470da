import {
  RequestResponse,
  type RequestResponse_Reason,
  SignalRequest,
  SignalResponse,
} from '@livekit/protocol';
import type { SignalFrame } from '../../src/signal/transport.js';

/** One server message: the `message` oneof of LiveKit's SignalResponse. */
export type ServerMessage = SignalResponse['message'];
/** One client message: the `message` oneof of LiveKit's SignalRequest. */
export type ClientMessage = SignalRequest['message'];

/** Encodes a server message as the binary frame LiveKit's clients read. */
export function encodeResponse(message: ServerMessage): Uint8Array {
  return new SignalResponse({ message }).toBinary();
}

/**
 * Decodes a client frame: binary protobuf as LiveKit's clients send it, or protobuf JSON text. Undefined with a
 * reason when it is neither, so the session can answer it and carry on.
 */
export function decodeRequest(
  frame: SignalFrame,
): { ok: true; message: ClientMessage } | { ok: false; reason: string } {
  try {
    const request =
      typeof frame === 'string' ? SignalRequest.fromJsonString(frame) : SignalRequest.fromBinary(frame);
    if (request.message.case === undefined)
      return { ok: false, reason: 'the frame holds no known SignalRequest message' };
    return { ok: true, message: request.message };
  } catch (err) {
    return {
      ok: false,
      reason: `the frame is not a SignalRequest: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/** LiveKit's answer to a request it refuses or cannot read. */
export function refusal(reason: RequestResponse_Reason, message: string, requestId = 0): ServerMessage {
  return { case: 'requestResponse', value: new RequestResponse({ requestId, reason, message }) };
}
