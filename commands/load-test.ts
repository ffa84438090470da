import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { parseDurationSeconds } from '../cli/duration.js';
import { integerFlag } from '../cli/integer-flag.js';
import { nameFlag } from '../cli/names.js';
import { roomApiFlags } from '../cli/room-api-flags.js';
import { renderTable } from '../cli/table.js';
import { LkcError } from '../src/errors.js';
import { VIDEO_PRESETS } from '../src/loadtest/presets.js';
import { cpuTable, kindTable, progressLine, summaryLine } from '../src/loadtest/report.js';
import { type LoadTestReport, runLoadTest } from '../src/loadtest/run.js';
import { resolveRoomApiTarget } from '../src/node-client/room-api-target.js';

export default class LoadTest extends BaseCommand<typeof LoadTest> {
  static override description =
    'Load a room with WebRTC bots (like `lk load-test`): publishers send VP8/Opus clips, subscribers receive every track; prints loss, jitter, latency and the nodes’ CPU';

  static override examples = [
    {
      command:
        '<%= config.bin %> load-test --url ws://127.0.0.1:7880 --room lt --publishers 2 --subscribers 20 --duration 20s',
      description: 'two 720p publishers with audio, twenty subscribers, measured for 20 s',
    },
    {
      command: '<%= config.bin %> load-test --publishers 10 --subscribers 100 --video off',
      description: 'an audio room',
    },
    {
      command: '<%= config.bin %> load-test --publishers 1 --subscribers 50 --video 1080p --simulcast --json',
      description: 'a livestream with simulcast, as JSON',
    },
  ];

  static override flags = {
    ...roomApiFlags,
    room: nameFlag('--room', 'the room to load (placed on join, as any client’s)'),
    publishers: integerFlag('--publishers', {
      description: 'bots that publish',
      default: 1,
      min: 0,
      max: 1000,
    }),
    subscribers: integerFlag('--subscribers', {
      description: 'bots that subscribe to every published track',
      default: 10,
      min: 0,
      max: 10000,
    }),
    video: Flags.string({
      description: 'what each publisher’s video track sends (LiveKit’s presets, 30 fps)',
      options: [...Object.keys(VIDEO_PRESETS), 'off'],
      default: '720p',
    }),
    audio: Flags.boolean({
      description: 'each publisher also sends Opus audio',
      default: true,
      allowNo: true,
    }),
    simulcast: Flags.boolean({ description: 'publish video as simulcast (180p and 360p layers added)' }),
    duration: Flags.string({
      description: 'how long to measure once every track flows (e.g. 30s, 2m)',
      default: '30s',
    }),
    'bot-processes': integerFlag('--bot-processes', {
      description: 'processes to spread the bots over (default: one per core)',
      min: 1,
      max: 64,
    }),
  };

  public async run(): Promise<LoadTestReport> {
    const { flags } = this;
    const durationSeconds = parseDurationSeconds(flags.duration, '--duration');
    if (durationSeconds <= 0) throw new LkcError('BAD_INPUT', '--duration must be longer than 0s');
    if (flags.publishers === 0)
      throw new LkcError('BAD_INPUT', '--publishers must be at least 1: nothing to receive');
    const loaded = await this.loadConfig();
    const target = resolveRoomApiTarget(loaded.config, {
      url: flags.url,
      cluster: loaded.cluster,
      env: process.env,
    });
    const live = process.stderr.isTTY;
    let lastLine = 0;
    const report = await runLoadTest(
      {
        url: target.url,
        room: flags.room ?? 'load-test',
        publishers: flags.publishers,
        subscribers: flags.subscribers,
        video: flags.video,
        audio: flags.audio,
        simulcast: flags.simulcast,
        durationSeconds,
        apiKey: target.apiKey,
        apiSecret: target.apiSecret,
        botProcesses: flags['bot-processes'],
      },
      (progress) => {
        // At a terminal one line that rewrites itself; in a log, a line every five seconds.
        const line = progressLine(progress);
        if (live) process.stderr.write(`\r\u001b[2K${line}`);
        else if (Date.now() - lastLine >= 5000) {
          lastLine = Date.now();
          process.stderr.write(`${line}\n`);
        }
      },
    );
    if (live) process.stderr.write('\r\u001b[2K');
    if (this.jsonEnabled()) return report;
    const kinds = kindTable(report);
    const cpu = cpuTable(report);
    this.log(renderTable(kinds.head, kinds.rows));
    this.log(renderTable(cpu.head, cpu.rows));
    this.log(summaryLine(report));
    return report;
  }
}
