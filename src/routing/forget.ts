import { LkcError } from '../errors.js';
import type { Router } from './types.js';

/** Which node to forget: its exact id, or the URL it registered (what a service manager's stop hook knows). */
export type ForgetTarget = { id: string } | { url: string };

/** One node `forgetNodes` removed. */
export interface ForgottenNode {
  id: string;
  /** The rooms it held that are placeable again now. */
  rooms: string[];
}

function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => u.trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}

/**
 * Removes nodes whose process is known to be gone (`lk-cluster nodes forget`): their records, leases and room
 * mappings, as the sweeper does once a lease expires, told to the cluster. A node whose lease is still alive may
 * be running: it is refused unless `force` (the caller knows the process is gone, e.g. a systemd ExecStopPost=
 * hook runs only after it exited). Nothing registered under the target is not an error (a node that drained
 * left by itself): the answer is empty.
 */
export async function forgetNodes(
  router: Pick<Router, 'forgetNode' | 'listNodes' | 'getNode'>,
  target: ForgetTarget,
  options: { force: boolean; by: string },
): Promise<ForgottenNode[]> {
  const ids =
    'id' in target
      ? [target.id]
      : (await router.listNodes()).filter((n) => sameUrl(n.url, target.url)).map((n) => n.id);
  const why = options.force ? 'its process is gone' : 'its lease expired';
  const forgotten: ForgottenNode[] = [];
  for (const id of ids) {
    const outcome = await router.forgetNode(id, { force: options.force, by: options.by, why });
    if (outcome.status === 'alive') {
      throw new LkcError(
        'FAILED_PRECONDITION',
        `node ${id} still holds a live lease (${(outcome.msLeft / 1000).toFixed(1)} s left): it may be running. If its process is gone, add --force; otherwise drain it (lk-cluster nodes drain ${id})`,
      );
    }
    if (outcome.status === 'forgotten') forgotten.push({ id, rooms: outcome.rooms });
  }
  return forgotten;
}
