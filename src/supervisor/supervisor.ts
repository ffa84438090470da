import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { LkcError } from '../errors.js';
import type { NodeMessage, SupervisorMessage } from '../node-contract/ipc.js';
import { NODE_INDEX_ENV, NODE_OVERRIDES_ENV, type NodeOverrides } from '../node-contract/overrides.js';
import type { NodeState } from '../records.js';
import { isPortFree, nextFreePort, type PortRange } from '../system/ports.js';

/** The node entry point, from dist/src/supervisor/ to dist/server/main.js. */
export const NODE_ENTRY = fileURLToPath(new URL('../../server/main.js', import.meta.url));

/** A node that dies within this long of starting counts as a quick failure. */
export const QUICK_FAILURE_MS = 10_000;
/** This many quick failures in a row is a crash loop. */
export const CRASH_LOOP_FAILURES = 5;
/** Restart delays double from this... */
export const RESTART_BASE_MS = 500;
/** ...up to this. */
export const RESTART_MAX_MS = 30_000;
// A node that ran this long starts its backoff over.
const STABLE_MS = 30_000;
// After "stop at once", a node that has not exited is killed.
const STOP_GRACE_MS = 10_000;
const OUTPUT_KEPT_LINES = 30;

/** Where and how one node of the local cluster runs. */
export interface NodeSpec {
  /** 1-based. */
  index: number;
  port: number;
  udp: PortRange;
  region: string;
}

/** One supervised node: its slot and the process currently in it. */
export interface SupervisedNode {
  spec: NodeSpec;
  child?: ChildProcess;
  pid?: number;
  id?: string;
  url?: string;
  state: NodeState | 'exited';
  ready: boolean;
  /** Exited 0 (drained): not restarted. */
  finished: boolean;
  startedAt: number;
  /** Consecutive failures (reset after a stable run): drives the backoff. */
  failures: number;
  /** Consecutive failures within QUICK_FAILURE_MS of starting. */
  quickFailures: number;
  lastExit?: { code: number | null; signal: NodeJS.Signals | null };
  /** The last lines the node printed, for error reports. */
  output: string[];
  restartTimer?: NodeJS.Timeout;
}

export type SupervisorEvent =
  | { type: 'spawned'; node: SupervisedNode }
  | { type: 'ready'; node: SupervisedNode }
  | { type: 'exited'; node: SupervisedNode; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'restarting'; node: SupervisedNode; delayMs: number }
  | { type: 'crash-loop'; node: SupervisedNode; failures: number }
  | { type: 'finished'; node: SupervisedNode }
  /** The rooms of a node that died were freed in the cluster (its record and lease removed), `ms` after its exit. */
  | { type: 'freed'; node: SupervisedNode; nodeId: string; rooms: number; ms: number }
  | { type: 'free-failed'; node: SupervisedNode; nodeId: string; error: string };

interface SupervisorEvents {
  event: [event: SupervisorEvent];
  /** A line the node printed; `prefix` is its id, or node-N until the id is known. */
  log: [prefix: string, line: string, stream: 'stdout' | 'stderr'];
  /** Something in the node list changed (id, url, pid, state). */
  change: [];
  /** Every node has exited and none will be restarted. */
  done: [];
}

export interface SupervisorOptions {
  specs: NodeSpec[];
  /** Passed to every node as --config. */
  configFile?: string;
  cwd: string;
  /** Environment of every node (on top of which each gets its port, region, index and overrides). */
  env: NodeJS.ProcessEnv;
  /** Config overrides every node gets (its UDP slice is added per node). */
  overrides?: NodeOverrides;
  /** Node entry script (tests may point elsewhere). */
  entry?: string;
  /** Restart backoff: the first delay and the cap (default 500 ms doubling up to 30 s). */
  backoff?: { baseMs: number; maxMs: number };
  /**
   * Removes a node whose process died from the cluster at once (its record, lease and room mappings, told to the
   * other nodes), so that its rooms are placeable now rather than when its lease expires; resolves with how many
   * rooms it freed. Absent where the nodes share no store (a single node keeps its rooms in memory).
   */
  forgetNode?: (nodeId: string) => Promise<number>;
}

/** The prefix of a node's log lines. */
export function nodeLabel(node: SupervisedNode): string {
  return node.id ?? `node-${node.spec.index}`;
}

/**
 * Runs the nodes of a local cluster as child processes: waits until each answers /readyz, restarts one that dies
 * (exponential backoff capped at 30 s, a crash-loop warning after 5 quick failures), drains or stops them all.
 * Nodes run in their own session (a terminal's Ctrl-C reaches only the supervisor) and stop when the IPC pipe
 * to the supervisor closes, so they never outlive it.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly nodes: SupervisedNode[];
  private stopping: 'drain' | 'stop' | undefined;
  private finishedAll = false;
  /** Forgets of dead nodes under way: the store must outlive them. */
  private readonly forgetting = new Set<Promise<void>>();

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.nodes = options.specs.map((spec) => ({
      spec,
      state: 'starting',
      ready: false,
      finished: false,
      startedAt: 0,
      failures: 0,
      quickFailures: 0,
      output: [],
    }));
  }

  /** Starts every node and resolves once each answers /readyz with 200. */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    for (const node of this.nodes) this.spawnNode(node);
    await Promise.all(this.nodes.map((node) => this.waitReady(node, readyTimeoutMs)));
  }

  /** Asks every node to drain (optionally with a deadline); resolves when all have exited. */
  async drain(deadlineSeconds?: number): Promise<void> {
    this.stopping ??= 'drain';
    this.cancelRestarts();
    for (const node of this.nodes) this.tell(node, { type: 'drain', deadline_seconds: deadlineSeconds });
    this.checkDone();
    await this.done();
  }

  /** Stops every node at once (each still unregisters); kills what has not exited after a grace period. */
  async stop(): Promise<void> {
    this.stopping = 'stop';
    this.cancelRestarts();
    for (const node of this.nodes) {
      if (!this.tell(node, { type: 'stop' })) node.child?.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      for (const node of this.nodes) node.child?.kill('SIGKILL');
    }, STOP_GRACE_MS);
    this.checkDone();
    await this.done();
    clearTimeout(timer);
  }

  /**
   * Starts slot `index` again after its node drained and exited (a drained node is not restarted on its own);
   * false when the slot is not a drained one or the supervisor is stopping. The new node has a new id.
   */
  async restartSlot(index: number): Promise<boolean> {
    const node = this.nodes.find((n) => n.spec.index === index);
    if (!node?.finished || this.stopping || this.finishedAll) return false;
    Object.assign(node, { finished: false, failures: 0, quickFailures: 0 });
    await this.restart(node);
    return true;
  }

  /** Resolves once the dead nodes being forgotten are (or could not be). */
  async settled(): Promise<void> {
    while (this.forgetting.size > 0) await Promise.all([...this.forgetting]);
  }

  /** Resolves when every node has exited and none will be restarted. */
  done(): Promise<void> {
    if (this.finishedAll) return Promise.resolve();
    return new Promise((resolve) => this.once('done', () => resolve()));
  }

  private tell(node: SupervisedNode, message: SupervisorMessage): boolean {
    const child = node.child;
    if (!child?.connected) return false;
    child.send(message, undefined, {}, () => {});
    return true;
  }

  private cancelRestarts(): void {
    for (const node of this.nodes) {
      if (node.restartTimer) clearTimeout(node.restartTimer);
      node.restartTimer = undefined;
    }
  }

  private spawnNode(node: SupervisedNode): void {
    const { spec } = node;
    const overrides: NodeOverrides = {
      ...this.options.overrides,
      rtc: {
        ...this.options.overrides?.rtc,
        udp_port_range_start: spec.udp.start,
        udp_port_range_end: spec.udp.end,
      },
    };
    const args = [this.options.entry ?? NODE_ENTRY];
    if (this.options.configFile) args.push('--config', this.options.configFile);
    const child = spawn(process.execPath, args, {
      cwd: this.options.cwd,
      env: {
        ...this.options.env,
        LKC_PORT: String(spec.port),
        LKC_REGION: spec.region,
        [NODE_INDEX_ENV]: String(spec.index),
        [NODE_OVERRIDES_ENV]: JSON.stringify(overrides),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    Object.assign(node, {
      child,
      pid: child.pid,
      id: undefined,
      url: undefined,
      state: 'starting',
      ready: false,
    });
    node.startedAt = Date.now();
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream]! }).on('line', (line) => {
        node.output.push(line);
        if (node.output.length > OUTPUT_KEPT_LINES) node.output.shift();
        this.emit('log', nodeLabel(node), line, stream);
      });
    }
    child.on('message', (message: NodeMessage) => {
      if (message?.type !== 'state' || node.child !== child) return;
      Object.assign(node, { id: message.id, url: message.url, state: message.state, pid: message.pid });
      this.emit('change');
    });
    child.once('error', (err) => {
      node.output.push(`could not start the node: ${err.message}`);
    });
    child.once('exit', (code, signal) => this.onExit(node, child, code, signal));
    this.emit('event', { type: 'spawned', node });
    this.emit('change');
    void this.watchReady(node);
  }

  /** Polls /readyz until it answers 200 (or the process is replaced). */
  private async watchReady(node: SupervisedNode): Promise<void> {
    const child = node.child;
    while (node.child === child && child && child.exitCode === null && child.signalCode === null) {
      if (node.url && (await readyz(node.url))) {
        if (node.child !== child) return;
        node.ready = true;
        this.emit('event', { type: 'ready', node });
        this.emit('change');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private waitReady(node: SupervisedNode, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onEvent = (event: SupervisorEvent) => {
        if (event.node !== node) return;
        if (event.type === 'ready') finish();
        else if (event.type === 'crash-loop' || event.type === 'finished') {
          finish(new LkcError('UNAVAILABLE', `${nodeLabel(node)} could not start: ${lastWords(node)}`));
        }
      };
      const timer = setTimeout(
        () =>
          finish(
            new LkcError(
              'UNAVAILABLE',
              `${nodeLabel(node)} was not ready after ${timeoutMs / 1000} s: ${lastWords(node)}`,
            ),
          ),
        timeoutMs,
      );
      const onDone = () =>
        finish(new LkcError('UNAVAILABLE', `the supervisor stopped before ${nodeLabel(node)} was ready`));
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('done', onDone);
        if (err) reject(err);
        else resolve();
      };
      if (node.ready) finish();
      else {
        this.on('event', onEvent);
        this.once('done', onDone);
      }
    });
  }

  private onExit(
    node: SupervisedNode,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (node.child !== child) return;
    node.child = undefined;
    node.ready = false;
    node.state = 'exited';
    node.lastExit = { code, signal };
    this.emit('event', { type: 'exited', node, code, signal });
    this.emit('change');
    // A node that exits 0 drained and unregistered itself; any other exit (a crash, a kill, even a node killed
    // after the stop grace) leaves its lease and rooms behind until the lease expires: free them now.
    if (code !== 0 && node.id) this.forget(node, node.id);
    if (this.stopping) {
      this.checkDone();
      return;
    }
    if (code === 0) {
      // A node exits 0 only when it was drained (e.g. `nodes drain`): it is done, not crashed.
      node.finished = true;
      this.emit('event', { type: 'finished', node });
      this.checkDone();
      return;
    }
    const ranFor = Date.now() - node.startedAt;
    if (ranFor >= STABLE_MS) node.failures = 0;
    node.failures += 1;
    node.quickFailures = ranFor < QUICK_FAILURE_MS ? node.quickFailures + 1 : 0;
    if (node.quickFailures === CRASH_LOOP_FAILURES) {
      this.emit('event', { type: 'crash-loop', node, failures: node.quickFailures });
    }
    const { baseMs, maxMs } = this.options.backoff ?? { baseMs: RESTART_BASE_MS, maxMs: RESTART_MAX_MS };
    const delayMs = Math.min(baseMs * 2 ** (node.failures - 1), maxMs);
    this.emit('event', { type: 'restarting', node, delayMs });
    node.restartTimer = setTimeout(() => void this.restart(node), delayMs);
  }

  private forget(node: SupervisedNode, nodeId: string): void {
    const forgetNode = this.options.forgetNode;
    if (!forgetNode) return;
    const exitedAt = performance.now();
    const work = forgetNode(nodeId).then(
      (rooms) =>
        this.emit('event', {
          type: 'freed',
          node,
          nodeId,
          rooms,
          ms: Math.round(performance.now() - exitedAt),
        }),
      (err: Error) => this.emit('event', { type: 'free-failed', node, nodeId, error: err.message }),
    );
    const tracked = work.then(() => {
      this.forgetting.delete(tracked);
    });
    this.forgetting.add(tracked);
  }

  private async restart(node: SupervisedNode): Promise<void> {
    node.restartTimer = undefined;
    if (this.stopping) return;
    // Another program may have taken the node's port meanwhile.
    if (!(await isPortFree(node.spec.port))) {
      const taken = new Set(this.nodes.map((n) => n.spec.port));
      node.spec.port = await nextFreePort(node.spec.port + 1, taken);
    }
    if (this.stopping) return;
    this.spawnNode(node);
  }

  private checkDone(): void {
    if (this.finishedAll) return;
    const running = this.nodes.some((node) => node.child || node.restartTimer);
    if (running) return;
    if (!this.stopping && !this.nodes.every((node) => node.finished)) return;
    this.finishedAll = true;
    this.emit('done');
  }
}

function lastWords(node: SupervisedNode): string {
  const exit = node.lastExit
    ? `exited with ${node.lastExit.signal ? `signal ${node.lastExit.signal}` : `code ${node.lastExit.code}`}`
    : 'no answer from /readyz';
  const lines = node.output.slice(-5).join(' | ');
  return lines ? `${exit}; last output: ${lines}` : exit;
}

/** True when GET url/readyz answers 200. */
export async function readyz(url: string): Promise<boolean> {
  try {
    const { statusCode, body } = await request(`${url}/readyz`, {
      method: 'GET',
      headersTimeout: 1000,
      bodyTimeout: 1000,
    });
    await body.dump();
    return statusCode === 200;
  } catch {
    return false;
  }
}
