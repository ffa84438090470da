import type { DashboardLeg, DashboardNode, RoomDetails, Sample, Snapshot } from '../../src/dashboard/wire.js';
import { sparkline } from './svg.js';

/** An element with its class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 12)}…` : id;
}

function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function bitrate(bytesPerSec: number): string {
  const bits = bytesPerSec * 8;
  if (bits < 1000) return `${Math.round(bits)} b/s`;
  if (bits < 1e6) return `${(bits / 1000).toFixed(1)} kb/s`;
  return `${(bits / 1e6).toFixed(1)} Mb/s`;
}

/** The cluster in a row of figures: nodes, rooms, participants, and the per-second rates. */
export function renderFigures(root: HTMLElement, snapshot: Snapshot): void {
  const alive = snapshot.nodes.filter((node) => node.alive);
  const clients = alive.reduce((sum, node) => sum + node.clients, 0);
  const regions = new Set(alive.map((node) => node.region));
  const figures: Array<[string, string, string]> = [
    ['nodes', `${alive.length}`, `nodes in ${regions.size} region${regions.size === 1 ? '' : 's'}`],
    ['rooms', `${snapshot.rooms_total}`, 'rooms'],
    ['participants', `${clients}`, 'participants'],
    ['placements', fixed(snapshot.totals.placements), 'placements/s'],
    ['joins', fixed(snapshot.totals.joins), 'joins/s'],
    ['relay', fixed(snapshot.totals.relay_frames, 1), 'relay frames/s'],
  ];
  root.replaceChildren(
    ...figures.map(([key, value, label]) => {
      const box = el('div', 'figure');
      box.dataset.figure = key;
      box.append(el('strong', '', value), el('span', '', label));
      return box;
    }),
  );
}

export interface NodeCardActions {
  drain(node: DashboardNode): void;
  undrain(node: DashboardNode): void;
}

/** One card per node: state, figures, the load and lease-margin charts, and its drain/undrain button. */
export function renderNodes(
  root: HTMLElement,
  snapshot: Snapshot,
  history: Map<string, Sample[]>,
  windowMs: number,
  actions: NodeCardActions,
): void {
  const cards = snapshot.nodes.map((node) => {
    const state = node.alive ? node.state : 'dead';
    const card = el('article', `node state-${state}`);
    card.dataset.nodeId = node.id;
    card.dataset.state = state;
    card.dataset.region = node.region;
    const head = el('header');
    const title = el('h3', '', shortId(node.id));
    title.title = node.id;
    head.append(title, el('span', `badge state-${state}`, state));
    if (node.self) head.append(el('span', 'badge self', 'this page'));
    card.append(head);
    card.append(el('p', 'where', `${node.region || '(no region)'} · ${node.url}`));

    const samples = history.get(node.id) ?? [];
    const times = samples.map((s) => s.t);
    const now = snapshot.at;
    const loadMax = Math.max(1, ...samples.map((s) => s.load));
    const leaseMax = Math.max(node.lease_ttl_ms, ...samples.map((s) => s.lease), 1);
    const charts = el('div', 'charts');
    const load = el('figure', 'chart');
    load.append(
      sparkline(
        times,
        samples.map((s) => s.load),
        { width: 150, height: 36, max: loadMax, windowMs, now, className: 'load' },
      ),
      el('figcaption', '', `load ${fixed(node.sysload)} · cpu ${Math.round(node.cpu_load * 100)}%`),
    );
    const lease = el('figure', 'chart');
    lease.append(
      sparkline(
        times,
        samples.map((s) => s.lease),
        { width: 150, height: 36, max: leaseMax, windowMs, now, className: 'lease' },
      ),
      el(
        'figcaption',
        '',
        node.alive ? `lease margin ${(node.lease_ms_left / 1000).toFixed(1)} s` : 'lease expired',
      ),
    );
    charts.append(load, lease);
    card.append(charts);

    const table = el('dl', 'stats');
    const row = (name: string, value: string) => table.append(el('dt', '', name), el('dd', '', value));
    row('rooms', String(node.rooms));
    row('participants', String(node.clients));
    row('tracks', `${node.tracks_in} in / ${node.tracks_out} out`);
    row('media', `${bitrate(node.bytes_in_per_sec)} in / ${bitrate(node.bytes_out_per_sec)} out`);
    if (node.webhooks) {
      const { queued, sent, failed, dropped } = node.webhooks;
      row('webhooks', `${queued} queued · ${sent} sent · ${failed} failed · ${dropped} dropped`);
    }
    row(
      'per second',
      `${fixed(node.rates.placements)} placements, ${fixed(node.rates.joins)} joins, ${fixed(node.rates.relay_frames, 1)} relay frames`,
    );
    card.append(table);

    if (node.alive && (node.state === 'serving' || node.state === 'draining')) {
      const button = el('button', 'action', node.state === 'serving' ? 'Drain' : 'Undrain');
      button.type = 'button';
      button.dataset.action = node.state === 'serving' ? 'drain' : 'undrain';
      button.addEventListener('click', () =>
        node.state === 'serving' ? actions.drain(node) : actions.undrain(node),
      );
      card.append(button);
    }
    return card;
  });
  root.replaceChildren(...cards);
}

/** The rooms table; `open` shows a room in the room view. */
export function renderRooms(
  body: HTMLElement,
  count: HTMLElement,
  snapshot: Snapshot,
  open: (room: string) => void,
): void {
  const regionOf = new Map(snapshot.nodes.map((node) => [node.id, node.region]));
  count.textContent =
    snapshot.rooms_total > snapshot.rooms.length
      ? `(${snapshot.rooms.length} of ${snapshot.rooms_total})`
      : `(${snapshot.rooms_total})`;
  if (snapshot.rooms.length === 0) {
    const row = el('tr');
    const cell = el('td', 'empty', 'no rooms yet');
    cell.colSpan = 7;
    row.append(cell);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(
    ...snapshot.rooms.map((room) => {
      const row = el('tr');
      row.dataset.room = room.name;
      const view = el('button', 'link', 'view');
      view.type = 'button';
      view.addEventListener('click', () => open(room.name));
      const cell = el('td');
      cell.append(view);
      row.append(
        el('td', 'name', room.name),
        el('td', 'mono', shortId(room.node_id)),
        el('td', '', regionOf.get(room.node_id) ?? ''),
        el('td', 'legs', legsText(room.legs)),
        el('td', 'num', String(room.num_participants)),
        el('td', 'num', String(room.num_publishers)),
        cell,
      );
      return row;
    }),
  );
}

/** A spanning room's legs as "node (region, why)", e.g. "ND_ab12… (eu-central-1, region)"; a dash for none. */
function legsText(legs: DashboardLeg[]): string {
  if (legs.length === 0) return '–';
  return legs
    .map((leg) => `${shortId(leg.node_id)} (${leg.region || 'no region'}, ${leg.reason})`)
    .join(', ');
}

/** The room view: who is in the room and what each one publishes. */
export function renderRoom(info: HTMLElement, body: HTMLElement, details: RoomDetails): void {
  const created = details.room ? new Date(details.room.creation_time * 1000).toLocaleTimeString() : '?';
  info.textContent = `on node ${details.node_id} · created ${created} · ${details.participants.length} participant${details.participants.length === 1 ? '' : 's'}`;
  if (details.participants.length === 0) {
    const row = el('tr');
    const cell = el('td', 'empty', 'nobody has joined');
    cell.colSpan = 4;
    row.append(cell);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(
    ...details.participants.map((p) => {
      const row = el('tr');
      row.dataset.identity = p.identity;
      const tracks = el('td', 'tracks');
      if (p.tracks.length === 0) tracks.textContent = 'none';
      for (const track of p.tracks) {
        tracks.append(
          el(
            'span',
            `track ${track.muted ? 'muted' : ''}`,
            `${track.kind} ${track.source || ''} ${track.mime_type}${track.muted ? ' (muted)' : ''}`.replace(
              /\s+/g,
              ' ',
            ),
          ),
        );
      }
      row.append(
        el('td', '', p.name ? `${p.identity} (${p.name})` : p.identity),
        el('td', '', p.is_publisher ? 'yes' : 'no'),
        el('td', '', p.region),
        tracks,
      );
      return row;
    }),
  );
}
