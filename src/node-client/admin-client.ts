import { createToken } from '../auth/token.js';
import type { Config } from '../config/types.js';
import { LkcError } from '../errors.js';
import type { NodeRecord } from '../records.js';
import { withClusterRouter } from '../routing/open.js';
import { type ClusterState, readState } from '../supervisor/state-file.js';
import { callNode } from './call-node.js';
import { restartDrainedSlot, slotIsDown, supervisedSlot } from './slot-restart.js';

/** A node the CLI can reach: its id and base URL. */
export interface NodeAddress {
  id: string;
  url: string;
}

/** The node's answer to a drain or undrain. */
export interface NodeAdminAnswer {
  node: NodeRecord;
}

/** Picks the node whose id is `wanted`, or the only one starting with it. */
function pick(nodes: NodeAddress[], wanted: string): NodeAddress {
  const exact = nodes.find((node) => node.id === wanted);
  if (exact) return exact;
  const matches = nodes.filter((node) => node.id.startsWith(wanted));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new LkcError(
      'BAD_INPUT',
      `${wanted} matches ${matches.length} nodes (${matches.map((n) => n.id).join(', ')}); give more of the id`,
    );
  }
  throw new LkcError('NODE_NOT_FOUND', `no node ${wanted} in the cluster; see \`lk-cluster nodes list\``);
}

/**
 * Finds a node's URL: in the registry (Redis), or, in single-node mode, in the state file of the cluster that
 * `lk-cluster start` runs in this folder.
 */
export async function findNode(config: Config, id: string, cluster?: ClusterState): Promise<NodeAddress> {
  if (config.redis)
    return withClusterRouter(config, undefined, async (router) => pick(await router.listNodes(), id));
  const known = (cluster?.nodes ?? []).flatMap((node) =>
    node.id && node.url ? [{ id: node.id, url: node.url }] : [],
  );
  if (known.length === 0) {
    throw new LkcError(
      'NO_REDIS',
      'no cluster to look in: configure redis (--config), or run this in the folder where `lk-cluster start` runs',
    );
  }
  return pick(known, id);
}

/** A short-lived admin token from the config's first API key. */
export async function adminToken(config: Config): Promise<string> {
  const [apiKey, apiSecret] = Object.entries(config.keys)[0] ?? [];
  if (!apiKey || !apiSecret) {
    throw new LkcError(
      'UNAUTHENTICATED',
      'no API key to sign the request with: add `keys: {KEY: SECRET}` to the config or set LKC_KEYS',
    );
  }
  return createToken({
    apiKey,
    apiSecret,
    identity: 'lk-cluster-cli',
    grant: { roomAdmin: true, roomList: true },
    ttlSeconds: 300,
  });
}

/** Calls a node's admin API (`/admin/...`) and returns its JSON answer; an error answer becomes an LkcError. */
export async function callNodeAdmin<T>(
  config: Config,
  node: NodeAddress,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const { status, json } = await callNode({
    url: `${node.url}${path}`,
    method,
    token: await adminToken(config),
    body,
    timeoutMs: 10_000,
    unreachable: (err) =>
      new LkcError('UNAVAILABLE', `node ${node.id} at ${node.url} does not answer: ${err.message}`),
    notJson: (statusCode) =>
      new LkcError('UNAVAILABLE', `node ${node.id} answered ${statusCode} with something that is not JSON`),
  });
  if (status >= 400) {
    const error = (json as { error?: { code?: string; message?: string } }).error;
    const code =
      error?.code === 'UNAUTHENTICATED' || error?.code === 'PERMISSION_DENIED' ? error.code : 'UNAVAILABLE';
    throw new LkcError(code, `node ${node.id}: ${error?.message ?? `HTTP ${status}`}`);
  }
  return json as T;
}

/** Moves a node to draining; it exits once its last room closes or at the deadline. */
export async function drainNode(
  config: Config,
  id: string,
  deadlineSeconds: number | undefined,
  cluster?: ClusterState,
): Promise<NodeAdminAnswer> {
  const node = await findNode(config, id, cluster);
  return callNodeAdmin<NodeAdminAnswer>(
    config,
    node,
    'POST',
    '/admin/drain',
    deadlineSeconds === undefined ? {} : { deadline_seconds: deadlineSeconds },
  );
}

/** The node's answer to an undrain; `restarted_from` when its slot of the local cluster had to start again. */
export interface UndrainAnswer extends NodeAdminAnswer {
  /** The id of the drained node whose slot the new node took. */
  restarted_from?: string;
}

/**
 * Returns a draining node to serving. A node of the local cluster in `cwd` that drained and exited (or is
 * exiting) cannot serve again: its slot starts a new node instead, as after a crash.
 */
export async function undrainNode(
  config: Config,
  id: string,
  cluster?: ClusterState,
  cwd?: string,
): Promise<UndrainAnswer> {
  const slot = cwd ? supervisedSlot(cluster, id) : undefined;
  const restart = async (): Promise<UndrainAnswer> => {
    const node = await restartDrainedSlot(cwd!, slot!);
    const info = await callNodeAdmin<{ node: NodeRecord }>(config, node, 'GET', '/admin/node');
    return { node: info.node, restarted_from: slot!.id };
  };
  if (slot && slotIsDown(slot)) return restart();
  const node = await findNode(config, id, cluster);
  try {
    return await callNodeAdmin<NodeAdminAnswer>(config, node, 'POST', '/admin/undrain');
  } catch (err) {
    // It began to stop between the state file's last word and this call.
    const now = slot && supervisedSlot(readState(cwd!), slot.id!);
    if (now && slotIsDown(now)) return restart();
    throw err;
  }
}
