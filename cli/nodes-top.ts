import { type NodeListing, stateText } from '../src/routing/node-report.js';
import {
  bitrateText,
  clusterSummary,
  leaseMarginText,
  sortNodes,
  TOP_SORT_KEYS,
  type TopSort,
} from '../src/routing/node-top.js';
import { LiveScreen } from './live-screen.js';
import { renderCompactTable, renderTable } from './table.js';

const HEAD = ['node', 'state', 'region', 'load', 'cpu', 'rooms', 'clients', 'in', 'out', 'lease left'];

const KEYS_LINE =
  'keys: l load  r rooms  c clients  n name  s state  g region  i in  o out  m lease (again: reverse)  q quit';

function rows(nodes: NodeListing[]): string[][] {
  return nodes.map((n) => [
    n.id,
    stateText(n),
    n.region,
    n.stats.sysload.toFixed(2),
    n.stats.cpu_load.toFixed(2),
    String(n.stats.rooms),
    String(n.stats.clients),
    bitrateText(n.stats.bytes_in_per_sec),
    bitrateText(n.stats.bytes_out_per_sec),
    leaseMarginText(n),
  ]);
}

/** One snapshot as a boxed table: what `nodes top` prints when stdout is not a terminal. */
export function topSnapshot(nodes: NodeListing[], sort: TopSort): string {
  return renderTable(HEAD, rows(sortNodes(nodes, sort)));
}

interface ScreenState {
  nodes?: NodeListing[];
  sort: TopSort;
  reverse: boolean;
  intervalMs: number;
  updatedAt?: Date;
  error?: string;
}

function clock(date: Date): string {
  return date.toTimeString().slice(0, 8);
}

/** The live view's lines: the cluster in figures, how it is sorted, the table, the keys. */
export function screenLines(state: ScreenState): string[] {
  const lines = ['lk-cluster nodes top'];
  if (!state.nodes) {
    lines.push(state.error ? `cannot read the cluster: ${state.error}` : 'reading the cluster...');
    return [...lines, '', KEYS_LINE];
  }
  lines.push(clusterSummary(state.nodes));
  const order = `sorted by ${state.sort}${state.reverse ? ' (reversed)' : ''}`;
  const updated = state.updatedAt ? ` · updated ${clock(state.updatedAt)}` : '';
  lines.push(`${order} · every ${(state.intervalMs / 1000).toFixed(1)}s${updated}`);
  // Keep the last good figures on screen through an outage, and say how old they are.
  if (state.error) lines.push(`! ${state.error} (retrying; figures as of ${clock(state.updatedAt!)})`);
  lines.push(renderCompactTable(HEAD, rows(sortNodes(state.nodes, state.sort, state.reverse))));
  if (state.nodes.length === 0) lines.push('no nodes registered (start one with `lk-cluster start`)');
  return [...lines.flatMap((line) => line.split('\n')), KEYS_LINE];
}

export interface NodesTopOptions {
  /** Reads the nodes once; called every interval. */
  read(): Promise<NodeListing[]>;
  intervalMs: number;
  sort: TopSort;
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/**
 * Runs the live view until `q`, Ctrl-C or a quit signal; resolves with what ended it. A failed read keeps the
 * view up with the last figures and the error, and tries again next interval.
 */
export function runNodesTop(options: NodesTopOptions): Promise<string> {
  const screen = new LiveScreen(options.input, options.output);
  const state: ScreenState = { sort: options.sort, reverse: false, intervalMs: options.intervalMs };
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const paint = () => screen.draw(screenLines(state));
  return new Promise<string>((resolve, reject) => {
    const finish = () => {
      done = true;
      clearTimeout(timer);
    };
    const refresh = async () => {
      try {
        state.nodes = await options.read();
        state.updatedAt = new Date();
        state.error = undefined;
      } catch (err) {
        state.error = ((err as Error).message ?? String(err)).split('\n')[0];
      }
      if (done) return;
      paint();
      timer = setTimeout(() => void refresh().catch(fail), options.intervalMs);
    };
    const fail = (err: unknown) => {
      finish();
      reject(err);
    };
    screen.open({
      onKey(key) {
        const next = TOP_SORT_KEYS[key.toLowerCase()];
        if (!next) return;
        state.reverse = next === state.sort ? !state.reverse : false;
        state.sort = next;
        paint();
      },
      onResize: paint,
      onQuit(reason) {
        finish();
        resolve(reason);
      },
    });
    paint();
    refresh().catch(fail);
  }).finally(() => screen.close());
}
