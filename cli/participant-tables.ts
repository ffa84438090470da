import { type ParticipantInfo, ParticipantInfo_State, type TrackInfo } from '@livekit/protocol';
import { trackKindName, trackSourceName } from '../src/node-client/track-pick.js';
import { renderDetails, renderTable } from './table.js';

/** When the participant joined, as ISO time. */
function joined(p: ParticipantInfo): string {
  return new Date(Number(p.joinedAtMs || p.joinedAt * 1000n)).toISOString();
}

/** `audio, video (muted)`: a participant's tracks in one cell. */
function trackSummary(p: ParticipantInfo): string | null {
  return p.tracks.map((t) => `${trackKindName(t)}${t.muted ? ' (muted)' : ''}`).join(', ') || null;
}

/** The participants of a room, one row each (`room participants list`). */
export function renderParticipants(participants: readonly ParticipantInfo[]): string {
  return renderTable(
    ['identity', 'sid', 'name', 'joined', 'tracks', 'region'],
    participants.map((p) => [
      p.identity,
      p.sid,
      p.name || null,
      joined(p),
      trackSummary(p),
      p.region || null,
    ]),
  );
}

function yesNo(value: boolean | undefined): string {
  return value ? 'yes' : 'no';
}

/** One participant: its details, then its tracks (`room participants get`). */
export function renderParticipant(p: ParticipantInfo): string {
  const permission = p.permission;
  const attributes = Object.entries(p.attributes)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const details = renderDetails([
    ['identity', p.identity],
    ['sid', p.sid],
    ['name', p.name || null],
    ['state', ParticipantInfo_State[p.state]?.toLowerCase()],
    ['joined', joined(p)],
    ['region', p.region || null],
    ['metadata', p.metadata || null],
    ['attributes', attributes || null],
    [
      'may',
      permission
        ? `publish ${yesNo(permission.canPublish)}, subscribe ${yesNo(permission.canSubscribe)}, data ${yesNo(permission.canPublishData)}, metadata ${yesNo(permission.canUpdateMetadata)}`
        : null,
    ],
    ['hidden', permission ? yesNo(permission.hidden) : null],
  ]);
  if (p.tracks.length === 0) return `${details}\n${p.identity} publishes no tracks`;
  return `${details}\n${renderTracks(p.tracks)}`;
}

/** A participant's tracks, one row each. */
export function renderTracks(tracks: readonly TrackInfo[]): string {
  return renderTable(
    ['track', 'kind', 'source', 'name', 'muted', 'codec', 'size'],
    tracks.map((t) => [
      t.sid,
      trackKindName(t),
      trackSourceName(t),
      t.name || null,
      yesNo(t.muted),
      t.mimeType || null,
      t.width && t.height ? `${t.width}x${t.height}` : null,
    ]),
  );
}
