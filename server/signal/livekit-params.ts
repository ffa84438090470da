/**
 * How a node tells LiveKit's clients from ours on `/rtc`, and what their connection query asks for. LiveKit's
 * clients always send `protocol=` and `sdk=` (ours sends neither), so the query decides, before the upgrade.
 */

/** The signalling protocol version of LiveKit's we speak: two PeerConnections, the server offering to subscribers. */
export const LIVEKIT_PROTOCOL = 17;
/** The LiveKit server version we answer as: clients gate features on it (1.8.0 and above has what we serve). */
export const LIVEKIT_SERVER_VERSION = '1.9.0';

/** What a LiveKit client asked for in its connection query. */
export interface LiveKitOptions {
  autoSubscribe: boolean;
  adaptiveStream: boolean;
  sdk: string;
  /** The client asked to resume a session (`reconnect=1`); we answer with a full rejoin. */
  reconnect: boolean;
}

/** True when the `/rtc` request comes from one of LiveKit's client SDKs. */
export function isLiveKitRequest(url: URL): boolean {
  return url.searchParams.has('protocol') || url.searchParams.has('sdk');
}

function flag(url: URL, name: string, fallback: boolean): boolean {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return fallback;
  return value === '1' || value === 'true';
}

export function liveKitOptions(url: URL): LiveKitOptions {
  return {
    autoSubscribe: flag(url, 'auto_subscribe', true),
    adaptiveStream: flag(url, 'adaptive_stream', false),
    sdk: url.searchParams.get('sdk') ?? '',
    reconnect: flag(url, 'reconnect', false),
  };
}
