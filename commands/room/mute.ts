import { TrackType } from '@livekit/protocol';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { nameArg } from '../../cli/names.js';
import { roomApiClient, roomApiFlags } from '../../cli/room-api-flags.js';

export default class RoomMute extends BaseCommand<typeof RoomMute> {
  static override description =
    'Mute (or unmute) a participant’s published track through the Room API (LiveKit’s MutePublishedTrack): its client mutes it and everyone sees it muted';

  static override examples = [
    {
      command: '<%= config.bin %> room mute standup alice TR_AMkMhxbPZPyq',
      description: 'mute alice’s track',
    },
    {
      command: '<%= config.bin %> room mute standup alice TR_AMkMhxbPZPyq --unmute',
      description: 'unmute it again',
    },
  ];

  static override args = {
    room: nameArg('a room name', 'room name'),
    identity: Args.string({ description: 'the participant’s identity', required: true }),
    track: Args.string({
      description: 'the track’s sid (TR_..., as `room participants --json` shows)',
      required: true,
    }),
  };

  static override flags = {
    ...roomApiFlags,
    unmute: Flags.boolean({ description: 'unmute the track instead', default: false }),
  };

  public async run(): Promise<unknown> {
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    const { room, identity, track } = this.args;
    const muted = !this.flags.unmute;
    const info = await client.mutePublishedTrack(room, identity, track, muted);
    const kind = info.type === TrackType.AUDIO ? 'audio' : 'video';
    this.log(`${muted ? 'muted' : 'unmuted'} ${identity}’s ${kind} track ${info.sid} in room ${room}`);
    return info.toJson({ useProtoFieldName: true });
  }
}
