import type { Config } from '../config/types.js';
import { ERROR_WIRE, type ErrorCode, LkcError } from '../errors.js';
import type { NodeView, RoomRecord } from '../records.js';
import type { ClusterReader, Placement, PlaceOptions } from '../routing/types.js';
import { NoAvailableNodesError } from '../selector/errors.js';
import type { PlacementExplanation } from '../selector/explanation.js';
import { adminToken, type NodeAddress } from './admin-client.js';
import { callNode } from './call-node.js';

interface RegistryAnswer {
  nodes: NodeView[];
  room_nodes: Record<string, string>;
  rooms: RoomRecord[];
}

interface ErrorAnswer {
  error?: { code?: string; message?: string; explanation?: PlacementExplanation };
}

/**
 * The registry of a single-node cluster, read from its node's /admin/registry: the node keeps nodes, rooms and
 * placements in memory, so this is the only way a CLI process can see them. Each read asks the node afresh.
 */
export class NodeRegistryClient implements ClusterReader {
  constructor(
    private readonly config: Config,
    private readonly node: NodeAddress,
  ) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const { url, id } = this.node;
    const { status, json } = await callNode({
      url: `${url}${path}`,
      method,
      token: await adminToken(this.config),
      body,
      timeoutMs: 10_000,
      unreachable: (err) =>
        new LkcError(
          'UNAVAILABLE',
          `node ${id} of the local cluster does not answer at ${url} (${err.message}); is \`lk-cluster start\` still running?`,
        ),
      notJson: (statusCode) =>
        new LkcError('UNAVAILABLE', `node ${id} answered ${statusCode} with something that is not JSON`),
    });
    if (status < 400) return json as T;
    const error = (json as ErrorAnswer).error ?? {};
    const message = error.message ?? `node ${id} answered HTTP ${status}`;
    if (error.code === 'NO_AVAILABLE_NODES') {
      const refusal = new NoAvailableNodesError(message);
      refusal.explanation = error.explanation;
      throw refusal;
    }
    const code =
      error.code && Object.hasOwn(ERROR_WIRE, error.code) ? (error.code as ErrorCode) : 'UNAVAILABLE';
    throw new LkcError(code, message);
  }

  private registry(): Promise<RegistryAnswer> {
    return this.call<RegistryAnswer>('GET', '/admin/registry');
  }

  async listNodes(): Promise<NodeView[]> {
    return (await this.registry()).nodes;
  }

  async getNode(nodeId: string): Promise<NodeView | undefined> {
    return (await this.listNodes()).find((node) => node.id === nodeId);
  }

  async listRoomNodes(): Promise<Map<string, string>> {
    return new Map(Object.entries((await this.registry()).room_nodes));
  }

  async listNodeRooms(nodeId: string): Promise<string[]> {
    return [...(await this.listRoomNodes())].filter(([, node]) => node === nodeId).map(([room]) => room);
  }

  async getRoomNode(room: string): Promise<string | undefined> {
    const roomNodes = (await this.registry()).room_nodes;
    return Object.hasOwn(roomNodes, room) ? roomNodes[room] : undefined;
  }

  async listRooms(): Promise<RoomRecord[]> {
    return (await this.registry()).rooms;
  }

  async getRoom(name: string): Promise<RoomRecord | undefined> {
    return (await this.listRooms()).find((room) => room.name === name);
  }

  async placeRoom(room: string, options: PlaceOptions = {}): Promise<Placement> {
    const { placement } = await this.call<{ placement: Placement }>('POST', '/admin/registry/place', {
      room,
      origin_region: options.originRegion,
      explain: options.explain,
      dry_run: options.dryRun,
    });
    return placement;
  }
}
