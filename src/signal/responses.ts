/** Builders for what the room node sends: responses and notifications, as objects and as frames. Browser-safe. */
import type {
  AnswerDataMap,
  ErrorResponse,
  Method,
  NotificationDataMap,
  NotificationMethod,
  OkResponse,
  RequestId,
  SignalErrorCode,
  SignalNotification,
} from './protocol.js';

/** A successful answer to request `id`. */
export function okResponse<M extends Method>(id: RequestId, data: AnswerDataMap[M]): OkResponse<M> {
  return { id, ok: true, data };
}

/** A refusal of request `id` (null when the frame carried no usable id). */
export function errorResponse(id: RequestId | null, code: SignalErrorCode, message: string): ErrorResponse {
  return { id, ok: false, error: { code, message } };
}

/** A server-initiated message. */
export function notification<N extends NotificationMethod>(
  method: N,
  data: NotificationDataMap[N],
): SignalNotification {
  return { notification: true, method, data } as SignalNotification;
}

/** Typed refusal a session handler throws; the handler turns it into an error response for the request. */
export class SignalRequestError extends Error {
  readonly code: SignalErrorCode;

  constructor(code: SignalErrorCode, message: string) {
    super(message);
    this.name = 'SignalRequestError';
    this.code = code;
  }
}
