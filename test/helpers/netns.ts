import { type ChildProcess, execFile, execFileSync, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pidAlive } from './node-process.js';
import { exitedWithin, spawnTracked } from './processes.js';
import { within } from './wait.js';

// Separate hosts on one machine: every host (redis, a node, the client) is a Linux network namespace with its own
// veth into a bridge, and the bridge sits in a namespace of its own, so the machine's own interfaces and
// routes are untouched and nothing on the LAN has a route anywhere else (no default route, no NAT, no uplink).
// Needs root and a kernel that lets the container make namespaces, bridges and veth pairs; `netnsUnavailable`
// says why not, for a skip.

const execFileAsync = promisify(execFile);

/** Every namespace this helper makes is named `lkcn-<pid of the test process>-<host>`. */
const NAME_PREFIX = 'lkcn-';

/** Runs `ip ARGS`; rejects with ip's own message. */
async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', args, { timeout: 10_000 });
    return stdout;
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(stderr || message).trim()}`);
  }
}

function ipSync(...args: string[]): string {
  try {
    return execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).toString();
  } catch {
    return '';
  }
}

/** The names of the namespaces that exist now. */
function namespaces(): string[] {
  // `ip netns list` prints "name" or "name (id: N)".
  return ipSync('netns', 'list')
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

/** Kills every process left in the namespace, then removes it (its veth ends go with it, and the peers too). */
function removeNamespace(name: string): void {
  for (const pid of ipSync('netns', 'pids', name).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  ipSync('netns', 'delete', name);
}

/** Removes what an earlier run that crashed left behind: namespaces of this prefix whose test process is gone. */
function removeLeftovers(): string[] {
  const removed: string[] = [];
  for (const name of namespaces()) {
    const owner = /^lkcn-(\d+)-/.exec(name);
    if (!owner || (Number(owner[1]) !== process.pid && pidAlive(Number(owner[1])))) continue;
    removeNamespace(name);
    removed.push(name);
  }
  return removed;
}

/**
 * Why this machine cannot run the separate-hosts tests, or undefined when it can: tries once to make a namespace
 * with a bridge and a veth pair (and removes it), after clearing what a crashed earlier run left.
 */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces are Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  try {
    await ip('-V');
  } catch {
    return 'iproute2 (`ip`) is not installed: apt-get install iproute2';
  }
  removeLeftovers();
  const probe = `${NAME_PREFIX}${process.pid}-probe`;
  try {
    await ip('netns', 'add', probe);
    await ip('-n', probe, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', probe, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    await ip('-n', probe, 'link', 'set', 'v0', 'master', 'br0');
    return undefined;
  } catch (err) {
    return `cannot make network namespaces with a bridge and veth pairs here: ${(err as Error).message}`;
  } finally {
    removeNamespace(probe);
  }
}

/** One host on the LAN. */
export interface LanHost {
  name: string;
  /** Its namespace. */
  netns: string;
  /** Its address on the LAN. */
  ip: string;
  /** Its veth's end on the bridge, in the bridge's namespace: what `cut` takes down. */
  port: string;
}

/** A LAN of hosts on one bridge. */
export interface Lan {
  /** The /24 the hosts are on, e.g. 10.77.42.0/24. */
  subnet: string;
  hosts: Record<string, LanHost>;
  /** Spawns `command` inside `host`'s namespace (killed when the test process ends). */
  run(host: string, command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Takes the host's link down on the bridge side: from then on what it sends goes nowhere and nothing comes. */
  cut(host: string): Promise<void>;
  heal(host: string): Promise<void>;
  /** Kills whatever still runs in the namespaces and removes them, the bridge and every veth. */
  teardown(): void;
}

/**
 * Builds the LAN: a bridge in namespace `lkcn-<pid>-lan`, and for each host a namespace `lkcn-<pid>-<host>`
 * with `lo` up and `eth0` at 10.77.X.(10+i)/24, X picked from the pid (each LAN is isolated, so two runs at once
 * would not clash even on one subnet; distinct subnets keep their logs apart). Removed at exit whatever happens.
 */
export async function buildLan(hostNames: string[]): Promise<Lan> {
  removeLeftovers();
  const third = 20 + (process.pid % 200);
  const subnet = `10.77.${third}.0/24`;
  const name = (host: string) => `${NAME_PREFIX}${process.pid}-${host}`;
  const bridgeNs = name('lan');
  const made: string[] = [];
  const teardown = () => {
    for (const ns of made.splice(0).reverse()) removeNamespace(ns);
    process.off('exit', teardown);
  };
  process.on('exit', teardown);
  const hosts: Record<string, LanHost> = {};
  try {
    await ip('netns', 'add', bridgeNs);
    made.push(bridgeNs);
    await ip('-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', bridgeNs, 'link', 'set', 'br0', 'up');
    for (const [i, host] of hostNames.entries()) {
      const netns = name(host);
      // Interface names are at most 15 bytes; the bridge side is named after the host's index.
      const port = `v${i}`;
      await ip('netns', 'add', netns);
      made.push(netns);
      await ip('-n', bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
      await ip('-n', bridgeNs, 'link', 'set', port, 'master', 'br0', 'up');
      const address = `10.77.${third}.${10 + i}`;
      await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      await ip('-n', netns, 'link', 'set', 'eth0', 'up');
      await ip('-n', netns, 'link', 'set', 'lo', 'up');
      hosts[host] = { name: host, netns, ip: address, port };
    }
  } catch (err) {
    teardown();
    throw err;
  }
  const hostOf = (host: string): LanHost => {
    const found = hosts[host];
    if (!found) throw new Error(`no host ${host} on the LAN (${Object.keys(hosts).join(', ')})`);
    return found;
  };
  return {
    subnet,
    hosts,
    run: (host, command, args, options = {}) =>
      // `ip netns exec` enters the namespace and execs the command: the child's pid is the command's own.
      spawnTracked('ip', ['netns', 'exec', hostOf(host).netns, command, ...args], options),
    cut: async (host) => {
      await ip('-n', bridgeNs, 'link', 'set', hostOf(host).port, 'down');
    },
    heal: async (host) => {
      await ip('-n', bridgeNs, 'link', 'set', hostOf(host).port, 'up');
    },
    teardown,
  };
}

/** The path of the compiled client script run inside the client host. */
const CLIENT_SCRIPT = join(import.meta.dirname, 'netns-client.js');

/** A client process inside one host of the LAN, doing what the test asks it (HTTP, Redis, /rtc, a browser). */
export interface LanClient {
  // biome-ignore lint/suspicious/noExplicitAny: answers of every shape; the assertions check them
  call(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<any>;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `netns-client.js` inside `host` and waits for its first answer. */
export async function startLanClient(lan: Lan, host: string): Promise<LanClient> {
  const child = lan.run(host, process.execPath, [CLIENT_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let buffer = '';
  child.stdout?.on('data', (chunk) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const answer = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      const waiter = waiting.get(answer.id);
      waiting.delete(answer.id);
      if (answer.ok) waiter?.resolve(answer.value);
      else waiter?.reject(new Error(answer.error));
    }
  });
  child.once('exit', (code, signal) => {
    for (const waiter of waiting.values())
      waiter.reject(new Error(`the client on ${host} exited (${code ?? signal}): ${stderr}`));
    waiting.clear();
  });
  let nextId = 1;
  const client: LanClient = {
    call(op, args = {}, timeoutMs = 20_000) {
      const id = nextId++;
      const answer = new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
      child.stdin?.write(`${JSON.stringify({ id, op, args })}\n`);
      return within(answer, timeoutMs, `the client on ${host} to answer ${op} ${JSON.stringify(args)}`);
    },
    output: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      try {
        await exitedWithin(child, 10_000, `the client on ${host} to exit`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  await client.call('ping', {}, 10_000);
  return client;
}
