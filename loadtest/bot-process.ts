/**
 * A process of load-test bots, started by `lk-cluster load-test` (src/loadtest/run.ts) with an IPC channel: it
 * joins the bots it is given, sends and receives their media, answers snapshot requests with its counters, and
 * leaves when told to stop or when its parent goes away.
 */
import type { BotSnapshot, FromBots, StartMessage, ToBots } from '../src/loadtest/bot-contract.js';
import { publishMedia } from './media-files.js';
import { Publisher } from './publisher.js';
import { ReceiveStats } from './receive-stats.js';
import { SendClock } from './send-clock.js';
import { Subscriber } from './subscriber.js';

/** Bots of one process join this many at a time: the node sees a steady stream of joins, not a stampede. */
const JOINS_AT_ONCE = 4;
const MAX_ERRORS_KEPT = 5;

const stats = new ReceiveStats();
const clock = new SendClock();
const bots: (Publisher | Subscriber)[] = [];
const errors: string[] = [];
let failed = 0;
let stopping = false;

function send(message: FromBots): void {
  process.send?.(message);
}

function fail(identity: string, err: unknown): void {
  failed++;
  const message = `${identity}: ${(err as Error).message ?? String(err)}`;
  if (errors.length < MAX_ERRORS_KEPT) errors.push(message);
  send({ type: 'error', identity, message });
}

async function start(message: StartMessage): Promise<void> {
  const media = publishMedia(message.publish);
  const queue = [...message.bots];
  const worker = async () => {
    for (let bot = queue.shift(); bot && !stopping; bot = queue.shift()) {
      try {
        const joined =
          bot.role === 'publisher'
            ? await Publisher.join(message.url, bot, media, clock)
            : await Subscriber.join(message.url, bot, stats, (err) => fail(bot!.identity, err));
        if (stopping) joined.close();
        else bots.push(joined);
      } catch (err) {
        fail(bot.identity, err);
      }
    }
  };
  await Promise.all(Array.from({ length: JOINS_AT_ONCE }, worker));
}

function snapshot(): BotSnapshot {
  const { user, system } = process.cpuUsage();
  return {
    ready: bots.length,
    failed,
    errors,
    cpuMicros: user + system,
    received: stats.counters(),
    sent: { audio: clock.sent('audio'), video: clock.sent('video') },
    srtpChecked: stats.checked,
    srtpForged: stats.forged,
  };
}

function stop(): void {
  stopping = true;
  clock.stop();
  for (const bot of bots.splice(0)) bot.close();
  // libdatachannel's threads keep the process alive: leave once the sockets had a moment to close.
  setTimeout(() => process.exit(0), 300).unref();
}

process.on('message', (message: ToBots) => {
  if (message.type === 'start') void start(message);
  else if (message.type === 'snapshot') send({ type: 'snapshot', id: message.id, snapshot: snapshot() });
  else if (message.type === 'stop') stop();
});
process.on('disconnect', stop);
