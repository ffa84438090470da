import type { Login } from '../../src/dashboard/wire.js';

/** An answer that is not 2xx, with the node's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: the status says enough
  }
  return new ApiError(response.status, message);
}

async function postJson<T>(path: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/**
 * The page's login: the admin token the node handed out (or the one the user brought), kept in memory only and
 * traded for a fresh one halfway through its life. The secret is sent once, in `logIn`, and kept nowhere.
 */
export class Session {
  private login?: Login;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly onChange: (session: Session) => void) {}

  get token(): string | undefined {
    return this.login?.token;
  }

  get apiKey(): string | undefined {
    return this.login?.api_key;
  }

  async logIn(credentials: { apiKey: string; apiSecret: string } | { token: string }): Promise<void> {
    const body =
      'token' in credentials
        ? { token: credentials.token }
        : { api_key: credentials.apiKey, api_secret: credentials.apiSecret };
    this.set(await postJson<Login>('/dashboard/api/login', body));
  }

  logOut(): void {
    if (this.timer) clearTimeout(this.timer);
    this.login = undefined;
    this.onChange(this);
  }

  /** A call to the dashboard API with the token. */
  async call<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    if (!this.login) throw new ApiError(401, 'not logged in');
    if (method === 'POST') return postJson<T>(path, {}, this.login.token);
    const response = await fetch(path, {
      headers: { authorization: `Bearer ${this.login.token}` },
      credentials: 'omit',
    });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  private set(login: Login): void {
    this.login = login;
    if (this.timer) clearTimeout(this.timer);
    const halfLifeMs = Math.max(5_000, ((login.expires_at * 1000 - Date.now()) / 2) | 0);
    this.timer = setTimeout(() => void this.refresh(), halfLifeMs);
    this.onChange(this);
  }

  private async refresh(): Promise<void> {
    const token = this.login?.token;
    if (!token) return;
    try {
      this.set(await postJson<Login>('/dashboard/api/refresh', {}, token));
    } catch {
      // The old token still holds until it expires; the stream then asks to log in again.
      this.timer = setTimeout(() => void this.refresh(), 10_000);
    }
  }
}

/** One server-sent event. */
export interface StreamEvent {
  event: string;
  data: unknown;
}

/**
 * Reads the node's event stream (GET /dashboard/api/events) with fetch, so that the token goes in a header rather
 * than the URL. Resolves when the stream ends; rejects with an ApiError when the node refuses it.
 */
export async function readEvents(
  token: string,
  signal: AbortSignal,
  onEvent: (event: StreamEvent) => void,
): Promise<void> {
  const response = await fetch('/dashboard/api/events', {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    credentials: 'omit',
    signal,
  });
  if (!response.ok || !response.body) throw await errorOf(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent({ event, data: JSON.parse(data.join('\n')) });
      end = buffer.indexOf('\n\n');
    }
  }
}
