// The client processes of the loaded relay benchmark (bench/relay-load-worker.ts), as the benchmark drives them.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  FromLoadWorker,
  LoadProtocol,
  LoadSessionSpec,
  LoadSnapshot,
  ToLoadWorker,
} from './relay-load-contract.js';
import { children } from './relay-nodes.js';

const WORKER = fileURLToPath(new URL('./relay-load-worker.js', import.meta.url));

/** One client process, driven over its IPC channel. */
export class LoadWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, (snapshot: LoadSnapshot) => void>();
  private joined?: { resolve: () => void; reject: (err: Error) => void };
  private stderr = '';
  private readonly child: ChildProcess;

  constructor() {
    // A session of its own (detached): its own CPU group, as each node has; it still leaves with the benchmark,
    // whose IPC channel it watches.
    this.child = spawn(process.execPath, [WORKER], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      detached: true,
    });
    children.push(this.child);
    this.child.stderr?.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-2000);
    });
    this.child.on('message', (message: FromLoadWorker) => {
      if (message.type === 'snapshot') {
        this.waiting.get(message.id)?.(message.snapshot);
        this.waiting.delete(message.id);
      } else if (message.type === 'joined') this.joined?.resolve();
      else this.joined?.reject(new Error(`a client process failed: ${message.message}`));
    });
    this.child.on('exit', (code, signal) => {
      const why = new Error(
        `a client process exited (${signal ?? code}): ${this.stderr.trim() || 'no output'}`,
      );
      this.joined?.reject(why);
      for (const [id] of this.waiting) this.waiting.delete(id);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(message: ToLoadWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  join(sessions: LoadSessionSpec[], protocol: LoadProtocol): Promise<void> {
    return new Promise((resolve, reject) => {
      this.joined = { resolve, reject };
      this.send({ type: 'join', sessions, protocol, concurrency: 10 });
    });
  }

  snapshot(): Promise<LoadSnapshot> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(
          new Error(`a client process did not answer within 10 s: ${this.stderr.trim() || 'no output'}`),
        );
      }, 10_000);
      this.waiting.set(id, (snapshot) => {
        clearTimeout(timer);
        resolve(snapshot);
      });
      this.send({ type: 'snapshot', id });
    });
  }
}
