/**
 * The join page served by every node at `/` and `/join`: `?token=JWT` joins at once (else a form asks for one);
 * `?publish=both|video|audio|none` chooses what to send (default both); `?name=` sets the display name.
 * Exposes `window.lkc` for tests and curious operators.
 */
import { describeCloseCode } from '../src/signal/close-codes.js';
import type { NodeDataMessage } from '../src/signal/protocol.js';
import { Call, type DataState, type PublishChoice, type SendDataOptions } from './call.js';
import { type CallStats, readStats } from './call-stats.js';
import { type CloseInfo, SignalClient } from './signal-client.js';
import * as view from './view.js';

export interface PageState {
  state: 'idle' | 'connecting' | 'joined' | 'closed' | 'failed';
  joined: boolean;
  identity: string | null;
  room: string | null;
  /** The node hosting the room. */
  node: string | null;
  /** Identities of everyone else in the room. */
  remoteParticipants: string[];
  /** Received tracks: consumer, producer, participant, kind. */
  remoteTracks: () => { consumerId: string; producerId: string; participant: string; kind: string }[];
  /** Ids of the producers this page publishes. */
  producers: () => string[];
  closed: CloseInfo | null;
  error: string | null;
  /** Notifications and events, newest last. */
  events: string[];
  stats: () => Promise<CallStats>;
  leave: () => Promise<void>;
  /** Data messages received, oldest first (the newest 500). */
  data: NodeDataMessage[];
  /** Whether the page receives and may send data messages, and why not. */
  dataState: () => DataState;
  /** Sends a data message to the room: `options.to` identities only, `topic`, `reliable` (default true). */
  sendData: (text: string, options?: SendDataOptions) => Promise<void>;
}

declare global {
  interface Window {
    lkc: PageState;
  }
}

let call: Call | undefined;

const page: PageState = {
  state: 'idle',
  joined: false,
  identity: null,
  room: null,
  node: null,
  remoteParticipants: [],
  remoteTracks: () =>
    [...(call?.tracks.values() ?? [])].map((t) => ({
      consumerId: t.consumer.id,
      producerId: t.producerId,
      participant: t.participant,
      kind: t.kind,
    })),
  producers: () => [...(call?.producers.keys() ?? [])],
  closed: null,
  error: null,
  events: [],
  stats: () =>
    call ? readStats(call) : Promise.resolve({ at: Date.now(), inbound: [], outbound: [], transports: [] }),
  leave: async () => {
    await call?.leave();
  },
  data: [],
  dataState: () => ({ ...(call?.data ?? { receiving: false, sending: false, error: null }) }),
  sendData: async (text, options) => {
    if (!call) throw new Error('cannot send data: not joined');
    await call.sendData(text, options);
  },
};
window.lkc = page;

function record(line: string): void {
  page.events.push(line);
  if (page.events.length > 500) page.events.shift();
  view.log(line);
}

function socketUrl(token: string, params: URLSearchParams): string {
  const base = params.get('url') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  return `${base.replace(/\/$/, '')}/rtc?access_token=${encodeURIComponent(token)}`;
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? (await view.askForToken());
  const publish = (params.get('publish') ?? 'both') as PublishChoice;
  page.state = 'connecting';
  view.setStatus('connecting...');
  const signal = await SignalClient.connect(socketUrl(token, params));
  call = new Call(signal, {
    participantsChanged: () => {
      page.remoteParticipants = [...(call?.participants.keys() ?? [])];
      if (page.identity) view.renderParticipants(page.identity, page.remoteParticipants);
    },
    trackAdded: (track) => {
      record(`receiving ${track.kind} of ${track.participant}`);
      view.addTrack(track);
    },
    trackRemoved: (track) => {
      record(`stopped receiving ${track.kind} of ${track.participant}`);
      view.removeTrack(track);
    },
    closed: (info) => {
      page.state = 'closed';
      page.joined = false;
      page.closed = info;
      record(`disconnected: ${info.code} ${info.text}`);
      view.setStatus(
        `disconnected: ${info.code} ${describeCloseCode(info.code)}${info.reason ? `: ${info.reason}` : ''}`,
        info.code === 1000 ? 'info' : 'error',
      );
    },
    dataReceived: (message) => {
      page.data.push(message);
      if (page.data.length > 500) page.data.shift();
      view.addMessage(message);
    },
    log: record,
  });
  await call.join({ name: params.get('name') ?? undefined, publish });
  const joined = call.joined!;
  page.identity = joined.participant.identity;
  page.room = joined.room.name;
  page.node = joined.node.id;
  page.remoteParticipants = [...call.participants.keys()];
  page.joined = true;
  page.state = 'joined';
  view.showCall(joined.room.name, joined.participant.identity, joined.node.id);
  view.renderParticipants(joined.participant.identity, page.remoteParticipants);
  if (call.localStream) view.showLocal(call.localStream);
  view.setStatus('joined', 'ok');
  view.onSendMessage(page.dataState().sending, (text) =>
    page.sendData(text).catch((err: Error) => record(err.message)),
  );
  const refresh = async () => {
    if (!call || page.state !== 'joined') return;
    view.renderStats(await readStats(call));
    setTimeout(refresh, 1000);
  };
  void refresh();
}

start().catch((err: Error) => {
  page.state = 'failed';
  page.error = err.message;
  record(`failed: ${err.message}`);
  view.setStatus(`failed: ${err.message}`, 'error');
});
