import { Args, Flags } from '@oclif/core';
import type { Config } from '../src/config/types.js';
import { checkName } from '../src/names.js';
import { RoomApiClient } from '../src/node-client/room-api-client.js';
import { resolveRoomApiTarget } from '../src/node-client/room-api-target.js';
import type { ClusterState } from '../src/supervisor/state-file.js';
import { nameArg } from './names.js';

/** The `--url` flag every Room API command takes: which node to call. */
export const roomApiFlags = {
  url: Flags.string({
    description: 'a node to call (default: the cluster started in this folder, else the config’s port)',
    env: 'LKC_URL',
  }),
};

/** A Room API client for --url, else a node of the cluster started in this folder, else the config's port. */
export function roomApiClient(
  loaded: { config: Config; cluster?: ClusterState },
  url?: string,
): RoomApiClient {
  const target = resolveRoomApiTarget(loaded.config, { url, cluster: loaded.cluster, env: process.env });
  return new RoomApiClient(target);
}

/** The arguments of every command about one participant: its room and its identity. */
export const participantArgs = {
  room: nameArg('a room name', 'the room the participant is in'),
  identity: Args.string({ description: 'the participant’s identity', required: true }),
};

/** `--to`: the room a participant goes to (move) or also appears in (forward). */
export function toRoomFlag(description: string) {
  return Flags.string({
    description,
    required: true,
    parse: async (value) => checkName(value, 'a room name'),
  });
}
