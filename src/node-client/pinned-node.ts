import type { Config } from '../config/types.js';
import { isLkcError, LkcError } from '../errors.js';
import type { ClusterState } from '../supervisor/state-file.js';
import { withClusterReader } from './cluster-reader.js';

const ASK_ANY = 'pass --any-node to let the selector choose';

/**
 * Refuses a `room create --node` pin the cluster cannot honour, before anything is created: the Room API (like
 * LiveKit's) places the room elsewhere instead. Says nothing when there is no registry to look in (then the
 * caller compares the node that answered).
 */
export async function checkPinnedNode(
  config: Config,
  file: string | undefined,
  cluster: ClusterState | undefined,
  id: string,
): Promise<void> {
  try {
    await withClusterReader(config, file, cluster, async (reader) => {
      const node = await reader.getNode(id);
      if (!node)
        throw new LkcError(
          'NODE_NOT_FOUND',
          `--node ${id}: no such node in the cluster (see \`lk-cluster nodes list\`); ${ASK_ANY}`,
        );
      if (!node.alive || node.state !== 'serving')
        throw new LkcError(
          'UNAVAILABLE',
          `--node ${id} is ${node.alive ? node.state : 'dead'}: it takes no new rooms; ${ASK_ANY}`,
        );
    });
  } catch (err) {
    if (isLkcError(err) && err.code === 'NO_REDIS') return;
    throw err;
  }
}

/** The pin was not honoured after all (the room was already elsewhere, or the node left meanwhile). */
export function pinNotHonoured(room: string, wanted: string, got: string | undefined): LkcError {
  return new LkcError(
    'UNAVAILABLE',
    `room ${room} is on ${got ?? 'another node'}, not --node ${wanted} (it was already there, or ${wanted} stopped taking rooms); ${ASK_ANY}`,
  );
}
