// Failover under load (issue 13, item 4): kill -9 of the Redis master while 4 processes place rooms through 3 node
// processes (livekit-server-sdk CreateRoom) and 20 sessions of our protocol join and leave, on Sentinel and on a
// Redis Cluster with replicas (the master of the prefix's slot killed). The scenario is the test's
// (test/helpers/failover-load.ts); this prints its figures per run as a table.
// Run by hand: `npm run build && node dist/bench/failover-load.js [--runs 1] [--topology sentinel,cluster]`.
import { loadavg } from 'node:os';
import Table from 'cli-table3';
import {
  clusterTopology,
  type FailoverLoadResult,
  runFailoverLoad,
  sentinelTopology,
} from '../test/helpers/failover-load.js';
import { machineLine } from './machine.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const RUNS = Number(arg('runs', '1'));
const TOPOLOGIES = arg('topology', 'sentinel,cluster').split(',');
const START = { sentinel: sentinelTopology, cluster: clusterTopology } as const;

function kinds(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return '-';
  return entries.map(([kind, n]) => `${n} x ${kind.replace(/N:N(, N:N)+/, 'ADDRS')}`).join('\n');
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!.toFixed(1);
  const results: FailoverLoadResult[] = [];
  for (const name of TOPOLOGIES) {
    for (let run = 0; run < RUNS; run++) {
      const topology = await START[name as keyof typeof START]();
      try {
        const r = await runFailoverLoad(topology, {
          log: (line) => process.stderr.write(`  ${name}: ${line}\n`),
        });
        results.push(r);
        process.stderr.write(
          `  ${name} run ${run + 1}: promoted ${r.promotionMs} ms, placements back at ${r.recoveryMs.join('/')} ms, ${r.violations.length} violations\n`,
        );
      } finally {
        await topology.stop();
      }
    }
  }
  const table = new Table({
    head: [
      'topology',
      'replica promoted after',
      'CreateRoom calls (failed after the kill)',
      'failed calls by kind',
      'placements succeed again after (per placer)',
      'session joins (sessions broken)',
      'session failures by kind',
      'rooms mapped; invariants',
    ],
    style: { head: [], border: [] },
    colWidths: [22, 12, 14, 44, 20, 14, 44, 30],
    wordWrap: true,
  });
  for (const r of results)
    table.push([
      r.topology,
      `${r.promotionMs} ms`,
      `${r.calls} (${r.failedCalls})`,
      kinds(r.failuresByKind),
      `${r.recoveryMs.join(', ')} ms (slowest call ${r.slowestMs.join(', ')} ms)`,
      `${r.sessionCycles} (${r.sessionsBroken} of 20)`,
      kinds(r.sessionFailuresByKind),
      `${r.rooms}; ${r.violations.length === 0 ? `all held (checked ${r.settledMs} ms after the load)` : r.violations.join('\n')}`,
    ]);
  console.log(
    'failover under load: kill -9 of the Redis master while 4 processes place rooms (CreateRoom through 3 nodes, round-robin) and 20 sessions join and leave; times from the kill',
  );
  console.log(machineLine(loadBefore));
  console.log(table.toString());
}

await main();
process.exit(0);
