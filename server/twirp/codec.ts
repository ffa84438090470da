import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwirpError } from './errors.js';

/** The two encodings of Twirp: protobuf JSON (what the Node SDK sends) and binary protobuf (the Go SDK). */
export type Encoding = 'json' | 'protobuf';

/** A generated @livekit/protocol message class, as far as the Twirp layer uses it. */
export interface MessageClass<T> {
  readonly typeName: string;
  fromJson(json: never, options?: { ignoreUnknownFields?: boolean }): T;
  fromBinary(bytes: Uint8Array): T;
}

/** A generated message instance. */
export interface EncodableMessage {
  toJson(options?: { useProtoFieldName?: boolean; emitDefaultValues?: boolean }): unknown;
  toBinary(): Uint8Array;
}

/** The encoding a request's Content-Type asks for; bad_route (as Twirp answers) for any other type. */
export function requestEncoding(contentType: string | undefined): Encoding {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/protobuf' || type === 'application/x-protobuf') return 'protobuf';
  throw new TwirpError(
    'bad_route',
    `unexpected Content-Type ${JSON.stringify(contentType ?? '')}: send application/json or application/protobuf`,
  );
}

/** A request body over the limit; the connection is closed after the answer so the rest is never read. */
export class BodyTooLargeError extends TwirpError {
  constructor(limitBytes: number) {
    super('invalid_argument', `request body is larger than ${limitBytes} bytes`, {
      limit_bytes: String(limitBytes),
    });
  }
}

/** Reads the whole request body, refusing more than `limitBytes` (declared or sent). */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes)
    return Promise.reject(new BodyTooLargeError(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.pause();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new TwirpError('malformed', `the request body could not be read: ${err.message}`));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * Decodes a request message. JSON takes both field spellings (`empty_timeout`, `emptyTimeout`) and ignores
 * fields it does not know, as Twirp's protojson decoder does; anything that does not decode is `malformed`.
 */
export function decodeRequest<T>(type: MessageClass<T>, body: Buffer, encoding: Encoding): T {
  if (encoding === 'protobuf') {
    try {
      return type.fromBinary(body);
    } catch (err) {
      throw new TwirpError(
        'malformed',
        `the protobuf request could not be decoded: ${(err as Error).message}`,
      );
    }
  }
  const text = body.toString('utf8').trim();
  let json: unknown;
  try {
    // Twirp's JSON decoder reads an empty body as an empty message.
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new TwirpError('malformed', 'the json request could not be decoded: it is not valid JSON');
  }
  try {
    return type.fromJson(json as never, { ignoreUnknownFields: true });
  } catch (err) {
    throw new TwirpError('malformed', `the json request could not be decoded: ${(err as Error).message}`);
  }
}

/**
 * Writes a response message: JSON with proto field names and every field, as Twirp's Go server writes it (the
 * SDKs read both spellings), or binary protobuf.
 */
export function sendMessage(
  res: ServerResponse,
  message: EncodableMessage,
  encoding: Encoding,
  headers: Record<string, string> = {},
): void {
  const body =
    encoding === 'json'
      ? Buffer.from(JSON.stringify(message.toJson({ useProtoFieldName: true, emitDefaultValues: true })))
      : Buffer.from(message.toBinary());
  res.writeHead(200, {
    'content-type': encoding === 'json' ? 'application/json' : 'application/protobuf',
    'content-length': body.length,
    ...headers,
  });
  res.end(body);
}
