import type { LegRecord } from '../records.js';
import type { PreparedNodes } from '../selector/select.js';
import type { RoutingKeys } from './keys.js';
import { checkRoomName } from './placement.js';
import type { RedisClient } from './redis-connect.js';
import type { RoutingScripts } from './scripts.js';
import type { LegClaim, LegClaimOutcome, LegClaimRequest, MemberJoin, RoomSpanStore } from './span-store.js';

/** Runs one store call, timed and with its connection errors in the tool's words (the router's guard). */
export type Guard = <T>(operation: string, promise: Promise<T>) => Promise<T>;

function parseLeg(json: string): LegRecord | undefined {
  try {
    const leg = JSON.parse(json) as LegRecord;
    return leg && typeof leg.node_id === 'string' ? leg : undefined;
  } catch {
    return undefined;
  }
}

/** The legs and members of spanning rooms in Redis, under the router's prefix (one hash tag, one slot). */
export class RedisSpanStore implements RoomSpanStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RoutingKeys,
    private readonly scripts: RoutingScripts,
    private readonly guard: Guard,
    private readonly view: () => Promise<PreparedNodes>,
  ) {}

  prepared(): Promise<PreparedNodes> {
    return this.view();
  }

  async claimLeg(room: string, request: LegClaimRequest): Promise<LegClaim> {
    checkRoomName(room);
    const k = this.keys;
    const record: LegRecord = {
      node_id: request.chosen,
      region: request.region,
      opened_at: Date.now(),
      reason: request.reason,
      why: request.why,
    };
    const [outcome, nodeId] = await this.guard(
      'claim_leg',
      this.scripts.run<[LegClaimOutcome, string]>(
        'claimLeg',
        [k.roomNode, k.nodeState, k.legs(room)],
        [k.prefix, room, request.region, request.chosen, JSON.stringify(record), ...(request.exclude ?? [])],
      ),
    );
    return { outcome, nodeId };
  }

  async assertLeg(room: string, leg: LegRecord): Promise<string | undefined> {
    const k = this.keys;
    const home = await this.guard(
      'assert_leg',
      this.scripts.run<string>(
        'assertLeg',
        [k.roomNode, k.legs(room)],
        [k.prefix, room, leg.node_id, JSON.stringify(leg)],
      ),
    );
    return home || undefined;
  }

  async releaseLeg(room: string, nodeId: string): Promise<void> {
    const k = this.keys;
    await this.guard(
      'release_leg',
      this.scripts.run<number>('releaseLeg', [k.legs(room)], [k.prefix, room, nodeId]),
    );
  }

  async listLegs(room: string): Promise<LegRecord[]> {
    const all = await this.guard('list_legs', this.client.hvals(this.keys.legs(room)));
    return legsOf(all);
  }

  async listAllLegs(): Promise<Map<string, LegRecord[]>> {
    const rooms = await this.guard('list_span_rooms', this.client.smembers(this.keys.spanRooms));
    const legs = new Map<string, LegRecord[]>();
    if (rooms.length === 0) return legs;
    const batch = this.client.pipeline();
    for (const room of rooms) batch.hvals(this.keys.legs(room));
    const replies = (await this.guard('list_legs', batch.exec())) ?? [];
    rooms.forEach((room, i) => {
      const [err, values] = replies[i] ?? [null, []];
      if (!err) legs.set(room, legsOf(values as string[]));
    });
    return legs;
  }

  async handOver(room: string, nodeId: string): Promise<string | undefined> {
    const k = this.keys;
    const home = await this.guard(
      'hand_over',
      this.scripts.run<string>('handOver', [k.roomNode, k.rooms], [k.prefix, room, nodeId]),
    );
    return home || undefined;
  }

  async joinMember(
    room: string,
    identity: string,
    nodeId: string,
    maxParticipants: number,
  ): Promise<MemberJoin> {
    const [outcome, before, count] = await this.guard(
      'join_member',
      this.scripts.run<[string, string, number]>(
        'joinMember',
        [this.keys.members(room)],
        [identity, nodeId, maxParticipants],
      ),
    );
    return { ok: outcome === 'ok', before, count: Number(count) };
  }

  async leaveMember(room: string, identity: string, nodeId: string): Promise<void> {
    await this.guard(
      'leave_member',
      this.scripts.run<number>('leaveMember', [this.keys.members(room)], [identity, nodeId]),
    );
  }

  async listMembers(room: string): Promise<Map<string, string>> {
    const all = await this.guard('list_members', this.client.hgetall(this.keys.members(room)));
    return new Map(Object.entries(all));
  }
}

function legsOf(values: string[]): LegRecord[] {
  return values
    .map(parseLeg)
    .filter((leg): leg is LegRecord => leg !== undefined)
    .sort((a, b) => a.opened_at - b.opened_at);
}
