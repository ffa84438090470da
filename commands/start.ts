import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { parseDurationSeconds } from '../cli/duration.js';
import { integerFlag } from '../cli/integer-flag.js';
import { renderTable } from '../cli/table.js';
import type { RoomSpan } from '../src/config/types.js';
import { describeEvent } from '../src/supervisor/events.js';
import { type LocalCluster, startLocalCluster } from '../src/supervisor/local-cluster.js';

export default class Start extends BaseCommand<typeof Start> {
  static override description =
    'Start a local cluster: N node processes (and a private redis-server when N > 1 and no Redis is configured), supervised until Ctrl-C';

  static override examples = [
    { command: '<%= config.bin %> start', description: 'one node, single-node mode, no config needed' },
    {
      command: '<%= config.bin %> start --nodes 3 --regions us-west-2,us-east',
      description: 'three nodes over two regions, region-aware placement, with a private redis-server',
    },
    {
      command: '<%= config.bin %> start -c lk-cluster.yaml --nodes 2 --port 9000',
      description: 'two nodes of a configured cluster',
    },
  ];

  // The command runs in the foreground and streams logs: there is no single JSON value to return.
  static override enableJsonFlag = false;

  static override flags = {
    nodes: integerFlag('--nodes', {
      char: 'n',
      description: 'number of node processes',
      default: 1,
      min: 1,
      max: 64,
    }),
    region: Flags.string({ description: 'region of every node', exclusive: ['regions'] }),
    regions: Flags.string({
      description: 'comma-separated regions, assigned to the nodes round robin',
      exclusive: ['region'],
    }),
    'ready-timeout': Flags.string({
      description: 'how long each node may take to become ready before start gives up (e.g. 30s, 2m)',
      default: '60s',
    }),
    span: Flags.string({
      description: 'whether rooms span the nodes (room.span): off, region or load; default: the config’s',
      options: ['off', 'region', 'load'],
    }),
    port: integerFlag('--port', {
      char: 'p',
      description: 'first HTTP port to try (default: the config port); each node takes the next free one',
      min: 1,
      max: 65535,
    }),
  };

  public async run(): Promise<void> {
    const { flags } = this;
    let cluster: LocalCluster | undefined;
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (!cluster) process.exit(130); // still starting: the nodes and redis die with us
      if (signals === 1) {
        this.log(`${signal}: draining every node (press Ctrl-C again to stop them at once)`);
        void cluster.drain();
      } else {
        this.log(`${signal}: stopping every node now`);
        void cluster.stop();
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Closing the terminal: drain as for Ctrl-C (the default would kill us with 129 and leave the state file).
    // The terminal is gone, so writing to it fails with EIO; that must not end the drain.
    process.on('SIGHUP', (signal) => {
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
      onSignal(signal);
    });

    const regions = flags.regions?.split(',') ?? (flags.region ? [flags.region] : []);
    const readyTimeoutSeconds = parseDurationSeconds(flags['ready-timeout'], '--ready-timeout');
    cluster = await startLocalCluster({
      nodes: flags.nodes,
      configFile: flags.config,
      regions,
      portBase: flags.port,
      span: flags.span as RoomSpan | undefined,
      readyTimeoutMs: readyTimeoutSeconds * 1000,
      cwd: process.cwd(),
      env: process.env,
      onProgress: (line) => this.log(line),
    });
    const { supervisor } = cluster;
    this.log(
      renderTable(
        ['node id', 'region', 'URL', 'pid', 'state'],
        supervisor.nodes.map((node) => [node.id, node.spec.region || '-', node.url, node.pid, node.state]),
      ),
    );
    const store = cluster.redisAddress
      ? `redis ${cluster.redisAddress}${cluster.redis ? ' (private, stopped on exit)' : ''}`
      : 'single-node mode (in-memory routing)';
    this.log(`${store}; config: ${cluster.configFile ?? 'embedded default'}; state: ${cluster.statePath}`);
    this.log('Ctrl-C drains every node and waits; a second Ctrl-C stops them at once. Logs follow.');

    const width = Math.max(...supervisor.nodes.map((node) => (node.id ?? '').length), 'supervisor'.length);
    const print = (prefix: string, line: string) =>
      process.stdout.write(`${prefix.padEnd(width)} | ${line}\n`);
    supervisor.on('log', (prefix, line) => print(prefix, line));
    supervisor.on('event', (event) => {
      const text = describeEvent(event);
      if (text) print('supervisor', text);
    });
    await cluster.closed;
    this.log('every node has stopped');
  }
}
