import type { IncomingMessage } from 'node:http';
import { bearerToken, type TokenClaims, verifyToken } from '../../src/auth/token.js';
import { errorWire, isLkcError, LkcError } from '../../src/errors.js';
import type { NodeView } from '../../src/records.js';
import type { LegDecision } from '../../src/routing/legs.js';
import type { Room } from '../media/room.js';
import { claimedFor, type RoomHost } from '../media/room-host.js';

/** Where an admitted session runs: on a room of this node, or relayed to the node that hosts the room. */
export type SessionTarget =
  | { local: true; room: Room }
  /**
   * `claimedFor`: set when the placement mapped the room to that node just now. `legOf`: set when that node is to
   * serve the session on a leg of the spanning room whose home is this node id.
   */
  | { local: false; nodeId: string; claimedFor?: string; legOf?: string };

export interface Admission {
  claims: TokenClaims;
  identity: string;
  room: string;
  target: SessionTarget;
}

/** Why `/rtc` refused a connection before the upgrade: an HTTP status and a reason a person can act on. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function unauthorized(message: string): LkcError {
  return new LkcError('UNAUTHENTICATED', message);
}

/** Checks the token of a `/rtc` request; throws UNAUTHENTICATED with the reason when it is not good for a join. */
export async function authorize(req: IncomingMessage, url: URL, keys: Record<string, string>) {
  const token = url.searchParams.get('access_token') || bearerToken(req.headers.authorization);
  const claims = await verifyToken(token ?? undefined, keys);
  if (!claims.video.roomJoin) throw unauthorized('access token lacks the roomJoin grant');
  const room = claims.video.room;
  if (!room) throw unauthorized('access token names no room (video.room)');
  const asked = url.searchParams.get('room');
  if (asked && asked !== room) throw unauthorized(`access token is for room ${room}, not ${asked}`);
  if (!claims.identity) throw unauthorized('access token has no identity (sub)');
  return { claims, identity: claims.identity, room };
}

/** What admission needs beside the node: the keys, whether joins create rooms, and where rooms are mapped. */
export interface AdmissionRules {
  keys: Record<string, string>;
  /** room.auto_create: a join may create its room. */
  autoCreate: boolean;
  /** The node a room is mapped to, if any. */
  roomNode(room: string): Promise<string | undefined>;
  /**
   * Present when rooms may span nodes: where a participant joins a room whose home is `home` (the home, or a leg
   * of the room that the call may open), and whether this node, holding the room already, is too full for it.
   */
  legs?: {
    choose(room: string, home: NodeView): Promise<LegDecision>;
    full(): boolean;
  };
}

/**
 * Decides where the session runs: a room open here stays here; otherwise the cluster places the room (or finds
 * where it is), from this node's region. With `room.auto_create: false`, only a room that exists can be joined.
 */
export async function route(host: RoomHost, rules: AdmissionRules, room: string): Promise<SessionTarget> {
  const open = host.rooms.get(room);
  if (open && !open.closed && !rules.legs?.full()) return { local: true, room: open };
  if (!rules.autoCreate && !(await rules.roomNode(room))) {
    throw new LkcError(
      'ROOM_NOT_FOUND',
      `room ${room} does not exist (room.auto_create is off: create it first)`,
    );
  }
  const placement = await host.placeRoom(room, { originRegion: host.region || undefined });
  const home = placement.node;
  if (rules.legs) {
    // The room is open (or now claimed) on its home; a participant may belong on a leg of it instead.
    if (placement.claimed && home.id === host.id) await host.hostRoom(room, {}, home.id);
    const decision = await rules.legs.choose(room, home);
    if (decision.leg) {
      if (decision.nodeId === host.id) return { local: true, room: await host.hostLeg(room, home.id) };
      return { local: false, nodeId: decision.nodeId, legOf: home.id };
    }
    if (open && !open.closed && home.id === host.id) return { local: true, room: open };
  }
  if (home.id !== host.id) return { local: false, nodeId: home.id, claimedFor: claimedFor(placement) };
  return { local: true, room: await host.hostRoom(room, {}, claimedFor(placement)) };
}

/** Token, then placement: everything a `/rtc` request must pass before it is upgraded. */
export async function admit(
  host: RoomHost,
  rules: AdmissionRules,
  req: IncomingMessage,
  url: URL,
): Promise<Admission> {
  try {
    const { claims, identity, room } = await authorize(req, url, rules.keys);
    return { claims, identity, room, target: await route(host, rules, room) };
  } catch (err) {
    if (isLkcError(err)) {
      const [status, code] = errorWire(err.code).rtc;
      throw new Refusal(status, code, err.message);
    }
    throw new Refusal(500, 'internal', err instanceof Error ? err.message : String(err));
  }
}
