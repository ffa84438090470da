import type { Config } from '../config/types.js';
import { withClusterRouter } from '../routing/open.js';
import type { ClusterReader } from '../routing/types.js';
import type { ClusterState } from '../supervisor/state-file.js';

/**
 * Runs `use` with what holds the cluster's registry: its Redis when one is configured (or the local cluster runs
 * a private one), else the node of the single-node cluster `lk-cluster start` runs in this folder, asked over its
 * admin API. With neither, openClusterRouter's refusal says what to configure.
 */
export async function withClusterReader<T>(
  config: Config,
  file: string | undefined,
  cluster: ClusterState | undefined,
  use: (reader: ClusterReader) => Promise<T>,
): Promise<T> {
  if (!config.redis) {
    const nodes = cluster?.nodes ?? [];
    const node = nodes.find((n) => n.id && n.url && n.state !== 'exited') ?? nodes.find((n) => n.id && n.url);
    if (node?.id && node.url) {
      // Only a single-node cluster is read over HTTP: loading undici and jose costs every other command ~100 ms.
      const { NodeRegistryClient } = await import('./registry-client.js');
      return use(new NodeRegistryClient(config, { id: node.id, url: node.url }));
    }
  }
  return withClusterRouter(config, file, use);
}
