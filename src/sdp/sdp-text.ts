/**
 * Reading SDP text safely. sdp-transform never throws on garbage: it returns whatever lines it recognised, so
 * every caller here checks the shape it relies on and turns a missing piece into one LkcError('BAD_INPUT') line
 * instead of a TypeError deeper down.
 */
import { parse, type SessionDescription } from 'sdp-transform';
import { LkcError } from '../errors.js';

export type MediaObject = SessionDescription['media'][number];

export function badSdp(message: string): LkcError {
  return new LkcError('BAD_INPUT', `bad SDP: ${message}`);
}

/** Parses `sdp` and checks what every function here needs: v=0, at least one m-line, a mid on each. */
export function parseSdp(sdp: unknown, what: string): SessionDescription {
  if (typeof sdp !== 'string' || sdp.trim() === '') throw badSdp(`the ${what} is empty`);
  if (!/^v=0(\r?\n|$)/.test(sdp)) throw badSdp(`the ${what} does not start with v=0`);
  let session: SessionDescription;
  try {
    session = parse(sdp);
  } catch (err) {
    throw badSdp(`the ${what} cannot be parsed (${(err as Error).message})`);
  }
  if (!Array.isArray(session.media) || session.media.length === 0) throw badSdp(`the ${what} has no m-line`);
  const seen = new Set<string>();
  session.media.forEach((media, index) => {
    if (media.mid === undefined || String(media.mid) === '') {
      throw badSdp(`m-line ${index} of the ${what} has no a=mid`);
    }
    // sdp-transform turns a numeric mid into a number; mids are tokens, compared as strings everywhere here.
    media.mid = String(media.mid);
    if (seen.has(media.mid)) throw badSdp(`the ${what} has two m-lines with mid ${media.mid}`);
    seen.add(media.mid);
  });
  return session;
}

/**
 * The a=msid of a media section. sdp-transform's grammar accepts only [\w-] in msid tokens, yet ids may hold any
 * token character (LiveKit's own stream ids hold '|'), so lines it did not match are read here.
 */
export function readMsid(media: MediaObject): { streamId: string; trackId?: string } | undefined {
  const parsed = media.msid?.[0];
  if (parsed?.id)
    return { streamId: String(parsed.id), trackId: parsed.appdata ? String(parsed.appdata) : undefined };
  for (const { value } of media.invalid ?? []) {
    const match = /^msid:(\S+)(?: (\S+))?/.exec(value);
    if (match) return { streamId: match[1], trackId: match[2] };
  }
  // Plan B style: a=ssrc:<ssrc> msid:<stream> <track>
  const ssrcMsid = media.ssrcs?.find((line) => line.attribute === 'msid' && line.value);
  if (ssrcMsid?.value) {
    const [streamId, trackId] = ssrcMsid.value.split(' ');
    return { streamId, trackId };
  }
  return undefined;
}
