import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BotSnapshot, BotSpec, FromBots, PublishSpec, ToBots } from './bot-contract.js';

/** dist/loadtest/bot-process.js, beside this module's folder in dist/. */
const BOT_PROCESS = fileURLToPath(new URL('../../loadtest/bot-process.js', import.meta.url));
const SNAPSHOT_MS = 10_000;
const STOP_MS = 3000;

/** One child process of bots (loadtest/bot-process.ts), driven over its IPC channel. */
class BotProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (snapshot: BotSnapshot) => void>();
  private readonly child: ChildProcess;
  private stderr = '';
  exited = false;

  constructor(onError: (identity: string, message: string) => void) {
    // A session of its own: with the kernel's autogroup scheduling each session is a CPU group, as each of a
    // node's mediasoup workers is; bots left in the command's session would share one group's time. A bot
    // process still leaves when this one goes (its IPC channel closes).
    this.child = fork(BOT_PROCESS, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
    this.child.stderr?.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-2000);
    });
    this.child.on('message', (message: FromBots) => {
      if (message.type === 'snapshot') {
        this.waiting.get(message.id)?.(message.snapshot);
        this.waiting.delete(message.id);
      } else if (message.type === 'error') onError(message.identity, message.message);
    });
    this.child.on('exit', () => {
      this.exited = true;
    });
  }

  send(message: ToBots): void {
    if (!this.exited) this.child.send(message);
  }

  snapshot(): Promise<BotSnapshot> {
    if (this.exited)
      return Promise.reject(new Error(`a bot process exited: ${this.stderr.trim() || 'no output'}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`a bot process did not answer within ${SNAPSHOT_MS / 1000} s`));
      }, SNAPSHOT_MS);
      this.waiting.set(id, (snapshot) => {
        clearTimeout(timer);
        resolve(snapshot);
      });
      this.send({ type: 'snapshot', id });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The load test's bots, spread over `count` processes (each one core's worth of libdatachannel and JS at most), so
 * that the bots use every core the machine gives them rather than queueing behind one event loop.
 */
export class BotFleet {
  private readonly processes: BotProcess[];
  private turn = 0;

  constructor(
    count: number,
    private readonly url: string,
    private readonly publish: PublishSpec,
    onError: (identity: string, message: string) => void,
  ) {
    this.processes = Array.from({ length: Math.max(1, count) }, () => new BotProcess(onError));
  }

  get size(): number {
    return this.processes.length;
  }

  /** Starts `bots`, dealt round robin over the processes (continuing where the last call stopped). */
  start(bots: BotSpec[]): void {
    const shares = this.processes.map(() => [] as BotSpec[]);
    for (const bot of bots) shares[this.turn++ % shares.length]!.push(bot);
    shares.forEach((share, i) => {
      if (share.length > 0)
        this.processes[i]!.send({ type: 'start', url: this.url, bots: share, publish: this.publish });
    });
  }

  /** Every process's counters, taken at once. */
  snapshots(): Promise<BotSnapshot[]> {
    return Promise.all(this.processes.map((p) => p.snapshot()));
  }

  /** Tells every process to leave and waits for them to exit (killing one that does not within 3 s). */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }
}
