// The progress lines and tables of the loaded relay benchmark.
import Table from 'cli-table3';
import { framesOf, type PathFigures, type WindowFigures } from './relay-load-figures.js';

export const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
export const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}` : '-');
export const perSecond = (v: number) => Math.round(v).toLocaleString('en-US');

export function progressLine(w: WindowFigures, elapsed: number): string {
  const cpu = w.processes
    .map((p) => `${p.name} ${p.corePercent.toFixed(0)}% (waited ${p.waitedPercent.toFixed(0)}%)`)
    .join(', ');
  return (
    `  ${(elapsed / 1000).toFixed(0)}s: sent ${perSecond(w.direct.sentPerSecond + w.bridged.sentPerSecond)}/s, ` +
    `answered ${perSecond(w.direct.answeredPerSecond + w.bridged.answeredPerSecond)}/s; ` +
    `direct p50 ${ms(w.direct.p50)} p99 ${ms(w.direct.p99)} ms, bridged p50 ${ms(w.bridged.p50)} ` +
    `p99 ${ms(w.bridged.p99)} ms; in flight ${w.direct.inflight + w.bridged.inflight}; CPU ${cpu}; ` +
    `load ${w.loadAverage}`
  );
}

export function windowsTable(windows: WindowFigures[]): string {
  const table = new Table({
    head: [
      'rate/session',
      'offered/s',
      'carried/s',
      'carried',
      'direct p50/p99 ms',
      'bridged p50/p99 ms',
      'bridge adds p50/p99',
      'bridge CPU ms/1k frames (above idle)',
      'load avg',
    ],
    style: { head: [], border: [] },
  });
  for (const w of windows) {
    const bridge = w.processes.find((p) => p.name === 'bridge');
    table.push([
      String(w.ratePerSession),
      perSecond(w.offeredPerSecond),
      perSecond(w.direct.answeredPerSecond + w.bridged.answeredPerSecond),
      w.carried ? 'yes' : 'no',
      `${ms(w.direct.p50)} / ${ms(w.direct.p99)}`,
      `${ms(w.bridged.p50)} / ${ms(w.bridged.p99)}`,
      `${signed(w.addsP50)} / ${signed(w.addsP99)}`,
      bridge?.msPer1000Frames === undefined
        ? '-'
        : `${bridge.msPer1000Frames.toFixed(1)} (${bridge.msPer1000FramesAboveIdle?.toFixed(1) ?? '-'})`,
      w.loadAverage,
    ]);
  }
  return table.toString();
}

export function detailTable(w: WindowFigures): string {
  const paths = new Table({
    head: ['path', 'sessions', 'requests/s', 'answers/s', 'p50 ms', 'p90 ms', 'p99 ms', 'in flight at end'],
    style: { head: [], border: [] },
  });
  const row = (name: string, p: PathFigures) => [
    name,
    String(p.sessions),
    perSecond(p.sentPerSecond),
    perSecond(p.answeredPerSecond),
    ms(p.p50),
    ms(p.p90),
    ms(p.p99),
    String(p.inflight),
  ];
  paths.push(row('direct to the room node', w.direct), row('through the bridge node', w.bridged));
  paths.push([
    'bridge adds',
    '',
    '',
    '',
    signed(w.addsP50),
    signed(w.bridged.p90 - w.direct.p90),
    signed(w.addsP99),
    '',
  ]);
  const cpu = new Table({
    head: [
      'process',
      'CPU s',
      '% of a core',
      'idle % of a core',
      '% waiting for a CPU',
      'frames/s it carried',
      'CPU ms per 1,000 frames',
      'above idle',
    ],
    style: { head: [], border: [] },
  });
  for (const p of w.processes) {
    const frames = framesOf(w.bridgeFramesPerSecond, w.roomFramesPerSecond)(p.name);
    cpu.push([
      p.name,
      p.cpuSeconds.toFixed(2),
      p.corePercent.toFixed(1),
      p.idleCorePercent === undefined ? '-' : p.idleCorePercent.toFixed(1),
      p.waitedPercent.toFixed(1),
      frames === undefined ? '-' : perSecond(frames),
      p.msPer1000Frames === undefined ? '-' : p.msPer1000Frames.toFixed(2),
      p.msPer1000FramesAboveIdle === undefined ? '-' : p.msPer1000FramesAboveIdle.toFixed(2),
    ]);
  }
  return `${paths.toString()}\n${cpu.toString()}`;
}
