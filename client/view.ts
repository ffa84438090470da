/** The page's DOM: the token form, the participant list, a tile per remote participant, and the stats table. */
import type { NodeDataMessage } from '../src/signal/protocol.js';
import type { RemoteTrack } from './call.js';
import type { CallStats } from './call-stats.js';

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page lacks #${id}`);
  return node as T;
}

export function setStatus(text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  const status = byId('status');
  status.textContent = text;
  status.dataset.kind = kind;
}

export function log(line: string): void {
  const list = byId('log');
  const item = element('li', {}, `${new Date().toLocaleTimeString()} ${line}`);
  list.prepend(item);
  while (list.childElementCount > 50) list.lastElementChild?.remove();
}

/** Shows the token form and resolves with what the user typed. */
export function askForToken(): Promise<string> {
  const form = byId<HTMLFormElement>('token-form');
  form.hidden = false;
  return new Promise((resolve) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = (byId<HTMLTextAreaElement>('token-input').value || '').trim();
      if (!token) return;
      form.hidden = true;
      resolve(token);
    });
  });
}

export function showCall(room: string, identity: string, node: string): void {
  byId('call').hidden = false;
  byId('title').textContent = `${room} as ${identity}, on node ${node}`;
}

export function showLocal(stream: MediaStream): void {
  const video = byId<HTMLVideoElement>('local-video');
  video.srcObject = new MediaStream(stream.getVideoTracks());
}

export function renderParticipants(self: string, others: string[]): void {
  const list = byId('participants');
  list.replaceChildren(
    element('li', { class: 'self' }, `${self} (you)`),
    ...others.map((identity) => element('li', { 'data-identity': identity }, identity)),
  );
}

function tileOf(participant: string): HTMLElement {
  const grid = byId('remote');
  const existing = grid.querySelector<HTMLElement>(`[data-participant="${CSS.escape(participant)}"]`);
  if (existing) return existing;
  const tile = element('figure', { class: 'tile', 'data-participant': participant });
  tile.append(element('figcaption', {}, participant));
  grid.append(tile);
  return tile;
}

export function addTrack(track: RemoteTrack): void {
  const tile = tileOf(track.participant);
  const media = element(track.kind === 'video' ? 'video' : 'audio', {
    'data-consumer': track.consumer.id,
    'data-kind': track.kind,
  });
  media.autoplay = true;
  if (media instanceof HTMLVideoElement) {
    media.muted = true;
    media.playsInline = true;
  }
  media.srcObject = new MediaStream([track.consumer.track]);
  tile.append(media);
  media.play().catch(() => undefined);
}

export function removeTrack(track: RemoteTrack): void {
  const tile = byId('remote').querySelector(`[data-participant="${CSS.escape(track.participant)}"]`);
  tile?.querySelector(`[data-consumer="${CSS.escape(track.consumer.id)}"]`)?.remove();
  if (tile && !tile.querySelector('video, audio')) tile.remove();
}

/** Shows a received data message at the top of the list (the newest 50 stay). */
export function addMessage(message: NodeDataMessage): void {
  const list = byId('messages');
  const who = message.from ?? 'the room';
  const topic = message.topic ? ` [${message.topic}]` : '';
  const body = message.binary ? `(${message.data.length} base64 characters of binary data)` : message.data;
  list.prepend(element('li', { 'data-from': who }, `${who}${topic}: ${body}`));
  while (list.childElementCount > 50) list.lastElementChild?.remove();
}

/** Enables the message form when the page may send; `send` gets each typed message. */
export function onSendMessage(enabled: boolean, send: (text: string) => void): void {
  const form = byId<HTMLFormElement>('message-form');
  const input = byId<HTMLInputElement>('message-input');
  input.disabled = !enabled;
  form.querySelector('button')?.toggleAttribute('disabled', !enabled);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text) return;
    input.value = '';
    send(text);
  });
}

function kbps(bps: number): string {
  return `${(bps / 1000).toFixed(0)} kb/s`;
}

export function renderStats(stats: CallStats): void {
  const body = byId('stats-body');
  const rows = [
    ...stats.outbound.map((s) => [
      `sent ${s.kind}`,
      'you',
      kbps(s.bitrate),
      String(s.packetsSent),
      s.kind === 'video' ? `${s.framesEncoded} encoded` : '',
    ]),
    ...stats.inbound.map((s) => [
      `received ${s.kind}`,
      s.participant,
      kbps(s.bitrate),
      String(s.packetsReceived),
      s.kind === 'video'
        ? `${s.framesDecoded} decoded ${s.frameWidth}x${s.frameHeight}`
        : `${s.packetsLost} lost`,
    ]),
  ];
  body.replaceChildren(
    ...rows.map((cells) => {
      const row = element('tr');
      row.append(...cells.map((cell) => element('td', {}, cell)));
      return row;
    }),
  );
}
