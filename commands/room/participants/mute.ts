import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { participantArgs, roomApiClient, roomApiFlags } from '../../../cli/room-api-flags.js';
import { LkcError } from '../../../src/errors.js';
import { TRACK_SOURCES, type TrackPick, trackKindName } from '../../../src/node-client/track-pick.js';

export default class RoomParticipantsMute extends BaseCommand<typeof RoomParticipantsMute> {
  static override description =
    'Mute (or unmute) a participant’s published track through the Room API (LiveKit’s MutePublishedTrack): its client mutes it and everyone sees it muted';

  // `room mute ROOM IDENTITY TRACK`, its name before `room participants` had commands.
  static override hiddenAliases = ['room:mute'];

  static override examples = [
    {
      command: '<%= config.bin %> room participants mute standup alice --kind audio',
      description: 'mute alice’s microphone (her one audio track)',
    },
    {
      command: '<%= config.bin %> room participants mute standup alice --source screen_share',
      description: 'mute her screen share',
    },
    {
      command: '<%= config.bin %> room participants mute standup alice TR_AMkMhxbPZPyq --unmute',
      description: 'unmute a track by its sid (as `room participants get` shows it)',
    },
  ];

  static override args = {
    ...participantArgs,
    track: Args.string({
      description: 'the track’s sid (TR_...); without it, --kind or --source picks the track',
    }),
  };

  static override flags = {
    ...roomApiFlags,
    kind: Flags.string({
      description: 'the participant’s one track of this kind',
      options: ['audio', 'video'],
    }),
    source: Flags.string({
      description: 'the participant’s one track from this source',
      options: [...TRACK_SOURCES],
    }),
    unmute: Flags.boolean({ description: 'unmute the track instead', default: false }),
  };

  public async run(): Promise<unknown> {
    const { room, identity, track } = this.args;
    const { kind, source } = this.flags;
    if (track && (kind || source))
      throw new LkcError('BAD_INPUT', 'give the track’s sid or --kind/--source, not both');
    if (!track && !kind && !source)
      throw new LkcError('BAD_INPUT', 'which track? give its sid, --kind audio|video or --source');
    const pick = (track ? { sid: track } : { kind, source }) as TrackPick;
    const client = roomApiClient(await this.loadConfig(), this.flags.url);
    const muted = !this.flags.unmute;
    const info = await client.muteTrack(room, identity, pick, muted);
    this.log(
      `${muted ? 'muted' : 'unmuted'} ${identity}’s ${trackKindName(info)} track ${info.sid} in room ${room}`,
    );
    return info.toJson({ useProtoFieldName: true });
  }
}
