import { isLkcError } from '../../src/errors.js';
import type { OpenMessage } from '../../src/relay/relay-messages.js';
import type { RelaySession } from '../../src/relay/relay-session.js';
import { CloseCode } from '../../src/signal/close-codes.js';
import { LiveKitSession } from '../livekit/livekit-session.js';
import type { Logger } from '../logger.js';
import type { RoomHost } from '../media/room-host.js';
import { SignalSession } from '../signal/signal-session.js';

/**
 * The room node's answer to `relay.open`: the bridged client gets the same session a direct client would, on
 * the room this node hosts. A room the signal node's placement has just claimed for this node opens here without
 * a second claim. A room that is not (or no longer) here is refused with "room moved", so that the client
 * rejoins and finds it.
 */
export async function acceptRelayedSession(
  host: RoomHost,
  session: RelaySession,
  open: OpenMessage,
  logger: Logger,
): Promise<void> {
  const claims = open.claims;
  // The signal node checked the token; the room node still refuses a session its claims do not cover.
  if (
    !claims?.video?.roomJoin ||
    claims.video.room !== open.room ||
    claims.identity !== open.identity ||
    !open.identity
  ) {
    session.close(CloseCode.UNAUTHORIZED, `the session's token does not allow joining room ${open.room}`);
    return;
  }
  let room = host.rooms.get(open.room);
  if (!room || room.closed) {
    try {
      room = open.leg_of
        ? await host.hostLeg(open.room, open.leg_of)
        : await host.hostRoom(open.room, {}, open.claimed_for);
    } catch (err) {
      const message = isLkcError(err) ? err.message : String(err);
      logger.info({ room: open.room, from: open.from, err: message }, 'refused a relayed session');
      session.close(CloseCode.ROOM_MOVED, `room ${open.room} is not on node ${host.id}: ${message}`);
      return;
    }
  }
  if (session.closed) return;
  const context = { host, room, identity: open.identity, claims, logger };
  if (open.livekit) new LiveKitSession(session, context, open.livekit);
  else new SignalSession(session, context);
}
