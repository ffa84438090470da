// The node process: `node dist/server/main.js [--config FILE]` (or $LKC_CONFIG). One process = one cluster node.
import { formatProblem, loadConfig } from '../src/config/index.js';
import { isLkcError } from '../src/errors.js';
import type { NodeMessage, SupervisorMessage } from '../src/node-contract/ipc.js';
import { applyNodeOverrides, NODE_OVERRIDES_ENV } from '../src/node-contract/overrides.js';
import { createLogger, type Logger } from './logger.js';
import { isolateWorkersFromNodeSignals } from './media/worker-session.js';
import type { ClusterNode } from './node/cluster-node.js';

// A stop that hangs (a store that never answers) must not keep the process alive.
const HARD_EXIT_MS = 15_000;
// A node whose supervisor died must not outlive it by more than this: a cluster whose supervisor was killed
// should be gone before anyone starts another in its folder (its private Redis is already gone with it).
const SUPERVISOR_GONE_EXIT_MS = 1000;

function configPath(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config' || arg === '-c') return argv[i + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return undefined;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Reports the node's state to the supervisor, when there is one (an IPC channel). */
function tellSupervisor(message: NodeMessage): void {
  if (process.send && process.connected) process.send(message, undefined, {}, () => {});
}

function watchSignals(node: ClusterNode, logger: Logger): void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1 && (node.state === 'serving' || node.state === 'draining')) {
      logger.info({ signal }, 'signal: draining (send it again to stop at once)');
      node.drain().catch(() => void node.stop(`${signal} while it could not drain`));
    } else {
      logger.info({ signal }, 'signal: stopping at once');
      void node.stop(`${signal}`);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A node run by hand in a terminal that is closed drains too, rather than die with 129.
  process.on('SIGHUP', onSignal);
}

function watchSupervisor(node: ClusterNode): void {
  if (!process.send) return;
  const announce = () =>
    tellSupervisor({
      type: 'state',
      id: node.id,
      url: node.url,
      region: node.config.region,
      state: node.state,
      pid: process.pid,
    });
  node.on('state', announce);
  // The id first, so that the supervisor prefixes this node's log lines with it.
  announce();
  // The supervisor's end of the IPC pipe closes when it exits, even on kill -9: never outlive it.
  process.on('disconnect', () => {
    // Its private Redis died with it, so unregistering may not get through: try briefly, then go, without
    // waiting for the event loop to drain on its own (that took seconds more).
    setTimeout(() => process.exit(1), SUPERVISOR_GONE_EXIT_MS).unref();
    void node.stop('the supervisor is gone').finally(() => process.exit(1));
  });
  process.on('message', (message: SupervisorMessage) => {
    if (message?.type === 'drain')
      node.drain(message.deadline_seconds).catch(() => void node.stop('drain refused'));
    else if (message?.type === 'stop') void node.stop('stopped by the supervisor');
  });
}

async function main(): Promise<void> {
  isolateWorkersFromNodeSignals();
  // Imported only now: mediasoup reads MEDIASOUP_WORKER_BIN when it loads.
  const { assembleNode } = await import('./assemble.js');
  let node: ClusterNode;
  let start: () => Promise<void>;
  let logger: Logger;
  try {
    const loaded = await loadConfig({
      file: configPath(process.argv.slice(2)),
      env: process.env,
      cwd: process.cwd(),
    });
    const config = applyNodeOverrides(loaded.config, process.env[NODE_OVERRIDES_ENV]);
    logger = createLogger(config.logging);
    for (const warning of loaded.warnings) logger.warn(formatProblem(warning));
    ({ node, start } = assembleNode(config, logger));
  } catch (err) {
    fail(isLkcError(err) ? err.message : `error: ${(err as Error).message}`);
  }
  node.once('stopped', () => process.exit(0));
  node.on('state', (state) => {
    if (state === 'shutting_down') setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
  });
  watchSignals(node, logger);
  watchSupervisor(node);
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception: stopping');
    void node.stop('uncaught exception');
  });
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
  try {
    await start();
  } catch (err) {
    logger.error({ err: isLkcError(err) ? err.message : err }, 'node could not start');
    node.removeAllListeners('stopped');
    await node.stop('start failed');
    process.exit(1);
  }
}

await main();
