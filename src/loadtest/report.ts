import type { LoadTestProgress, LoadTestReport } from './run.js';

type Cell = string | number | null;

function mbps(bits: number): string {
  return bits >= 1e6 ? `${(bits / 1e6).toFixed(2)} Mbps` : `${(bits / 1e3).toFixed(0)} kbps`;
}

function ms(value: number | null): string | null {
  return value === null ? null : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.001 ? 3 : 2)}%`;
}

/** The table of what the subscribers received, one row per track kind that was published. */
export function kindTable(report: LoadTestReport): { head: string[]; rows: Cell[][] } {
  return {
    head: [
      'kind',
      'tracks sent',
      'tracks received',
      'bitrate',
      'per track',
      'packets/s',
      'loss',
      'jitter',
      'latency p50',
      'latency p99',
    ],
    rows: report.kinds
      .filter((k) => k.sentTracks > 0 || k.tracks > 0)
      .map((k) => [
        k.kind,
        k.sentTracks,
        k.tracks,
        mbps(k.bitrate),
        mbps(k.trackBitrate),
        Math.round(k.packetsPerSecond),
        percent(k.loss),
        ms(k.jitterMs),
        ms(k.latencyP50Ms),
        ms(k.latencyP99Ms),
      ]),
  };
}

/** The table of CPU over the run: each node (as a share of one core), then the bots. */
export function cpuTable(report: LoadTestReport): { head: string[]; rows: Cell[][] } {
  const rows: Cell[][] = report.nodes.map((n) => [
    `node ${n.id}`,
    n.role,
    percent(n.processCpu),
    `${percent(n.workersCpu)} (${n.workers})`,
    percent(n.processCpu + n.workersCpu),
    n.microsPerPacket === null ? null : `${n.microsPerPacket.toFixed(1)} µs per packet forwarded`,
  ]);
  rows.push([
    `load-test bots (${report.bots.processes} ${report.bots.processes === 1 ? 'process' : 'processes'})`,
    'load',
    percent(report.bots.cpu),
    null,
    percent(report.bots.cpu),
    report.bots.microsPerPacket === null
      ? null
      : `${report.bots.microsPerPacket.toFixed(1)} µs per packet sent or received`,
  ]);
  return { head: ['CPU over the run', 'role', 'process', 'workers', 'total (of one core)', 'cost'], rows };
}

/** The one-line summary under the tables: what ran, for how long, and what failed. */
export function summaryLine(report: LoadTestReport): string {
  const parts = [
    `room ${report.room}${report.roomNode ? ` on node ${report.roomNode}` : ''}`,
    `${report.publishers.joined}/${report.publishers.asked} publishers (video ${report.video}${report.simulcast ? ', simulcast' : ''}, audio ${report.audio ? 'on' : 'off'})`,
    `${report.subscribers.joined}/${report.subscribers.asked} subscribers`,
    `measured ${report.measuredSeconds.toFixed(1)} s`,
  ];
  if (report.srtp.forged > 0)
    parts.push(`${report.srtp.forged} of ${report.srtp.checked} SRTP tags checked were wrong`);
  if (report.failed > 0) parts.push(`${report.failed} bots failed: ${report.errors.join('; ')}`);
  return parts.join(', ');
}

/** The progress line shown while the test runs. */
export function progressLine(p: LoadTestProgress): string {
  const joined = `publishers ${p.publishers.ready}/${p.publishers.total}, subscribers ${p.subscribers.ready}/${p.subscribers.total}, tracks ${p.tracks.receiving}/${p.tracks.expected}`;
  const failed = p.failed > 0 ? `, ${p.failed} failed` : '';
  if (p.phase === 'joining') return `joining: ${joined}${failed}`;
  return `measuring ${p.elapsedSeconds.toFixed(0)}/${p.durationSeconds} s: ${joined}, receiving ${mbps(p.receivedBitrate)}, loss ${percent(p.loss)}${failed}`;
}
