import type { DashboardNode, History, RoomDetails, Sample, Snapshot } from '../../src/dashboard/wire.js';
import { RegionMap } from './map.js';
import { el, renderFigures, renderNodes, renderRoom, renderRooms } from './render.js';
import { ApiError, readEvents, Session, type StreamEvent } from './session.js';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

const ui = {
  status: byId<HTMLParagraphElement>('status'),
  servedBy: byId<HTMLSpanElement>('served-by'),
  logout: byId<HTMLButtonElement>('logout'),
  login: byId<HTMLFormElement>('login'),
  apiKey: byId<HTMLInputElement>('api-key'),
  apiSecret: byId<HTMLInputElement>('api-secret'),
  adminToken: byId<HTMLTextAreaElement>('admin-token'),
  loginError: byId<HTMLParagraphElement>('login-error'),
  board: byId<HTMLElement>('board'),
  figures: byId<HTMLElement>('figures'),
  nodes: byId<HTMLElement>('nodes'),
  actions: byId<HTMLUListElement>('actions'),
  roomsBody: byId<HTMLElement>('rooms-body'),
  roomsCount: byId<HTMLElement>('rooms-count'),
  roomView: byId<HTMLElement>('room-view'),
  roomTitle: byId<HTMLElement>('room-title'),
  roomInfo: byId<HTMLElement>('room-info'),
  roomParticipants: byId<HTMLElement>('room-participants'),
  roomClose: byId<HTMLButtonElement>('room-close'),
};
const map = new RegionMap(byId<HTMLElement>('map') as unknown as SVGSVGElement);

function setStatus(text: string, kind: 'info' | 'ok' | 'error'): void {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

// What the page knows: the samples of every node (history, then one per snapshot) and the latest snapshot.
let windowMs = 5 * 60_000;
const history = new Map<string, Sample[]>();
let latest: Snapshot | undefined;
let streamAbort: AbortController | undefined;
let openRoom: { name: string; seen: string } | undefined;

const session = new Session((s) => {
  if (s.token) {
    ui.login.hidden = true;
    ui.board.hidden = false;
    ui.logout.hidden = false;
    void follow(s.token);
  } else {
    streamAbort?.abort();
    ui.board.hidden = true;
    ui.login.hidden = false;
    ui.logout.hidden = true;
    ui.servedBy.textContent = '';
  }
});

function note(text: string, kind: 'ok' | 'error'): void {
  const item = el('li', kind, `${new Date().toLocaleTimeString()} ${text}`);
  ui.actions.prepend(item);
  while (ui.actions.children.length > 8) ui.actions.lastElementChild?.remove();
}

async function nodeAction(node: DashboardNode, action: 'drain' | 'undrain'): Promise<void> {
  note(`${action} ${node.id}…`, 'ok');
  try {
    const answer = await session.call<{ node: { id: string; state: string } }>(
      'POST',
      `/dashboard/api/nodes/${encodeURIComponent(node.id)}/${action}`,
    );
    note(`${action} ${answer.node.id}: now ${answer.node.state}`, 'ok');
  } catch (err) {
    note(`${action} ${node.id} failed: ${(err as Error).message}`, 'error');
  }
}

async function showRoom(name: string): Promise<void> {
  ui.roomView.hidden = false;
  ui.roomTitle.textContent = name;
  ui.roomView.dataset.room = name;
  const row = latest?.rooms.find((room) => room.name === name);
  openRoom = { name, seen: row ? `${row.num_participants}/${row.num_publishers}` : '' };
  try {
    const details = await session.call<RoomDetails>(
      'GET',
      `/dashboard/api/rooms/${encodeURIComponent(name)}`,
    );
    if (openRoom?.name !== name) return;
    renderRoom(ui.roomInfo, ui.roomParticipants, details);
  } catch (err) {
    ui.roomInfo.textContent = `could not read the room: ${(err as Error).message}`;
    ui.roomParticipants.replaceChildren();
  }
}

function render(snapshot: Snapshot): void {
  latest = snapshot;
  for (const [id, sample] of Object.entries(snapshot.samples)) {
    const samples = history.get(id) ?? [];
    if (samples.at(-1)?.t !== sample.t) samples.push(sample);
    while (samples.length > 0 && samples[0]!.t < snapshot.at - windowMs) samples.shift();
    history.set(id, samples);
  }
  for (const id of history.keys()) if (!snapshot.samples[id]) history.delete(id);
  const self = snapshot.nodes.find((node) => node.self);
  ui.servedBy.textContent = `served by ${snapshot.node}${self ? ` (${self.region})` : ''}`;
  if (snapshot.error) setStatus(snapshot.error, 'error');
  else setStatus(`live · ${new Date(snapshot.at).toLocaleTimeString()}`, 'ok');
  renderFigures(ui.figures, snapshot);
  map.render(snapshot.regions, snapshot.nodes);
  renderNodes(ui.nodes, snapshot, history, windowMs, {
    drain: (node) => void nodeAction(node, 'drain'),
    undrain: (node) => void nodeAction(node, 'undrain'),
  });
  renderRooms(ui.roomsBody, ui.roomsCount, snapshot, (room) => void showRoom(room));
  // The room view follows its room: read again when its counts change, closed when it is gone.
  if (openRoom) {
    const row = snapshot.rooms.find((room) => room.name === openRoom!.name);
    if (!row) ui.roomInfo.textContent = 'the room has closed';
    else if (`${row.num_participants}/${row.num_publishers}` !== openRoom.seen) void showRoom(openRoom.name);
  }
}

function onEvent({ event, data }: StreamEvent): void {
  if (event === 'history') {
    const past = data as History;
    windowMs = past.window_ms;
    history.clear();
    for (const [id, samples] of Object.entries(past.samples)) history.set(id, samples);
  } else if (event === 'snapshot') {
    render(data as Snapshot);
  } else if (event === 'expired' || event === 'bye') {
    setStatus((data as { message: string }).message, 'error');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps one event stream open with `token` until the page logs out or gets a fresh token (a new stream). */
async function follow(token: string): Promise<void> {
  streamAbort?.abort();
  const abort = new AbortController();
  streamAbort = abort;
  let backoffMs = 500;
  while (!abort.signal.aborted) {
    try {
      await readEvents(token, abort.signal, (event) => {
        backoffMs = 500;
        onEvent(event);
      });
    } catch (err) {
      if (abort.signal.aborted) return;
      if (err instanceof ApiError && err.status === 401) {
        session.logOut();
        showLoginError(`logged out: ${err.message}`);
        return;
      }
      setStatus(`lost the node's stream (${(err as Error).message}); trying again`, 'error');
    }
    await sleep(backoffMs);
    backoffMs = Math.min(backoffMs * 2, 5000);
  }
}

function showLoginError(message: string): void {
  ui.loginError.textContent = message;
  ui.loginError.hidden = false;
}

ui.login.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = ui.adminToken.value.trim();
  const apiKey = ui.apiKey.value.trim();
  const apiSecret = ui.apiSecret.value;
  // The secret leaves the form at once: it lives only in this request.
  ui.apiSecret.value = '';
  ui.adminToken.value = '';
  ui.loginError.hidden = true;
  if (!token && (!apiKey || !apiSecret)) {
    showLoginError('give an API key and its secret, or an admin token');
    return;
  }
  setStatus('logging in…', 'info');
  session.logIn(token ? { token } : { apiKey, apiSecret }).catch((err: unknown) => {
    const message =
      err instanceof ApiError && err.status === 401
        ? `login refused: ${err.message}`
        : `login failed: ${(err as Error).message}`;
    showLoginError(message);
    setStatus('not logged in', 'error');
  });
});
ui.logout.addEventListener('click', () => {
  session.logOut();
  setStatus('logged out', 'info');
});
ui.roomClose.addEventListener('click', () => {
  openRoom = undefined;
  ui.roomView.hidden = true;
});

declare global {
  interface Window {
    /** For tests and the console: what the page shows, never the token. */
    lkcDashboard: { snapshot(): Snapshot | undefined; samples(id: string): number };
  }
}
window.lkcDashboard = {
  snapshot: () => latest,
  samples: (id) => history.get(id)?.length ?? 0,
};
