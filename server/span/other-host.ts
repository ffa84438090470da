import type { NodeView } from '../../src/records.js';

/**
 * Whether a node announces another address than this node's `selfIp`: a pipe to it crosses a network and is
 * encrypted (SRTP); between nodes of one host it stays in the clear. Both ends decide from the same two node
 * records, so they agree. A node the cluster no longer knows (it is leaving) counts as this host's.
 */
export function onOtherHost(
  cluster: { getNode(nodeId: string): Promise<NodeView | undefined> },
  selfIp: string,
): (nodeId: string) => Promise<boolean> {
  return async (nodeId) => {
    const peer = await cluster.getNode(nodeId);
    return peer !== undefined && peer.ip !== selfIp;
  };
}
