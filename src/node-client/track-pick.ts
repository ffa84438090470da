import { type ParticipantInfo, type TrackInfo, TrackSource, TrackType } from '@livekit/protocol';
import { LkcError } from '../errors.js';

/** A track's kind as the CLI names it. */
export type TrackKindName = 'audio' | 'video';
/** LiveKit's TrackSource as the CLI names it (its enum name, lower case). */
export const TRACK_SOURCES = ['camera', 'microphone', 'screen_share', 'screen_share_audio'] as const;
export type TrackSourceName = (typeof TRACK_SOURCES)[number];

/** Which of a participant's tracks: by sid, or by kind and/or source (the one track that matches). */
export type TrackPick = { sid: string } | { kind?: TrackKindName; source?: TrackSourceName };

export function trackKindName(track: TrackInfo): TrackKindName | 'data' {
  if (track.type === TrackType.AUDIO) return 'audio';
  return track.type === TrackType.VIDEO ? 'video' : 'data';
}

export function trackSourceName(track: TrackInfo): TrackSourceName | 'unknown' {
  return (TrackSource[track.source]?.toLowerCase() as TrackSourceName | undefined) ?? 'unknown';
}

function describe(pick: { kind?: string; source?: string }): string {
  if (pick.kind && pick.source) return `${pick.source} ${pick.kind} track`;
  if (pick.source) return `${pick.source} track`;
  return pick.kind ? `${pick.kind} track` : 'track';
}

/**
 * The one track of `participant` that `pick` names, so that a user need not look up its sid: by sid, or the only
 * track of the kind and source given. None, or more than one, is an error that says what there is.
 */
export function pickTrack(participant: ParticipantInfo, pick: TrackPick, room: string): TrackInfo {
  const who = `${participant.identity} in room ${room}`;
  if ('sid' in pick) {
    const track = participant.tracks.find((t) => t.sid === pick.sid);
    if (!track) throw new LkcError('TRACK_NOT_FOUND', `${who} publishes no track ${pick.sid}`);
    return track;
  }
  const matching = participant.tracks.filter(
    (t) =>
      (pick.kind === undefined || trackKindName(t) === pick.kind) &&
      (pick.source === undefined || trackSourceName(t) === pick.source),
  );
  const list = (tracks: TrackInfo[]) =>
    tracks.map((t) => `${t.sid} ${trackSourceName(t)} ${trackKindName(t)}`).join(', ');
  if (matching.length === 0) {
    const has = participant.tracks.length > 0 ? ` (it publishes ${list(participant.tracks)})` : '';
    throw new LkcError('TRACK_NOT_FOUND', `${who} publishes no ${describe(pick)}${has}`);
  }
  if (matching.length > 1) {
    throw new LkcError(
      'BAD_INPUT',
      `${who} publishes ${matching.length} ${describe(pick)}s (${list(matching)}): give --source or the track's sid`,
    );
  }
  return matching[0]!;
}
