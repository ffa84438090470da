import { request } from 'undici';
import type { LkcError } from '../errors.js';

/** One JSON call to a node: where, how, with which token, and the errors a user reads when it goes wrong. */
export interface NodeCall {
  url: string | URL;
  method: 'GET' | 'POST' | 'DELETE';
  token: string;
  /** Sent as JSON; none when undefined. */
  body?: unknown;
  timeoutMs: number;
  /** The error when nothing answers (refused, timed out). */
  unreachable: (err: Error) => LkcError;
  /** The error when the answer is not JSON, i.e. probably not a node at all. */
  notJson: (status: number) => LkcError;
}

/** A node's answer, whatever its status: the caller decides what an error status means. */
export interface NodeAnswer {
  status: number;
  json: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** Sends a bearer-token JSON request to a node and parses its JSON answer. */
export async function callNode(call: NodeCall): Promise<NodeAnswer> {
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(call.url, {
      method: call.method,
      headers: { authorization: `Bearer ${call.token}`, 'content-type': 'application/json' },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      headersTimeout: call.timeoutMs,
      bodyTimeout: call.timeoutMs,
    });
  } catch (err) {
    throw call.unreachable(err as Error);
  }
  const text = await answer.body.text();
  try {
    return { status: answer.statusCode, json: JSON.parse(text), headers: answer.headers };
  } catch {
    throw call.notJson(answer.statusCode);
  }
}
