/**
 * Reading a client's data message (ClientDataMessage) off its data channel: never throws, whatever arrives.
 * Browser-safe: the join page checks what it sends with the same rules.
 */
import { utf8Length } from './close-codes.js';
import { isObject } from './fields.js';
import {
  type ClientDataMessage,
  MAX_DATA_DESTINATIONS,
  MAX_DATA_MESSAGE_BYTES,
  MAX_DATA_TOPIC_LENGTH,
} from './protocol.js';

const MAX_IDENTITY_LENGTH = 256;

/** What is wrong with `message` as a ClientDataMessage (fields other than its own are ignored), or undefined. */
export function dataMessageProblem(message: unknown): string | undefined {
  if (!isObject(message)) return 'a data message must be a JSON object';
  const { topic, data, to, reliable } = message;
  if (typeof data !== 'string') return 'data must be a string';
  if (topic !== undefined && (typeof topic !== 'string' || topic.length > MAX_DATA_TOPIC_LENGTH))
    return `topic must be a string of at most ${MAX_DATA_TOPIC_LENGTH} characters`;
  if (reliable !== undefined && typeof reliable !== 'boolean') return 'reliable must be a boolean';
  if (to !== undefined) {
    if (!Array.isArray(to) || to.length > MAX_DATA_DESTINATIONS)
      return `to must be an array of at most ${MAX_DATA_DESTINATIONS} identities`;
    if (!to.every((i) => typeof i === 'string' && i.length > 0 && i.length <= MAX_IDENTITY_LENGTH))
      return 'to must hold non-empty identities';
  }
  return undefined;
}

/** Parses one data message's text: the message (only its known fields), or why it is refused. */
export function parseDataMessage(
  text: string,
): { ok: true; message: ClientDataMessage } | { ok: false; problem: string } {
  if (text.length > MAX_DATA_MESSAGE_BYTES || utf8Length(text) > MAX_DATA_MESSAGE_BYTES)
    return { ok: false, problem: `data messages are limited to ${MAX_DATA_MESSAGE_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'a data message must be JSON' };
  }
  const problem = dataMessageProblem(value);
  if (problem || !isObject(value)) return { ok: false, problem: problem ?? 'not an object' };
  const message: ClientDataMessage = { data: value['data'] as string };
  if (value['topic'] !== undefined) message.topic = value['topic'] as string;
  if (value['to'] !== undefined) message.to = [...new Set(value['to'] as string[])];
  if (value['reliable'] !== undefined) message.reliable = value['reliable'] as boolean;
  return { ok: true, message };
}
