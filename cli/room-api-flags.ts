import { Flags } from '@oclif/core';
import type { Config } from '../src/config/types.js';
import { RoomApiClient } from '../src/node-client/room-api-client.js';
import { resolveRoomApiTarget } from '../src/node-client/room-api-target.js';
import type { ClusterState } from '../src/supervisor/state-file.js';

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
