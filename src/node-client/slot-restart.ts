import { LkcError } from '../errors.js';
import { requestSlotRestart } from '../supervisor/slot-requests.js';
import { type ClusterState, readState, type StateNode } from '../supervisor/state-file.js';

// A node drained with no rooms stops within a second or two; a fresh one is ready in a few more.
const EXIT_WAIT_MS = 15_000;
const READY_WAIT_MS = 30_000;
const POLL_MS = 100;

/** The slot of the folder's local cluster whose node is (or was) `id`, matched exactly or by unique prefix. */
export function supervisedSlot(cluster: ClusterState | undefined, id: string): StateNode | undefined {
  const nodes = cluster?.nodes ?? [];
  const exact = nodes.find((node) => node.id === id);
  if (exact) return exact;
  const matches = nodes.filter((node) => node.id?.startsWith(id));
  return matches.length === 1 ? matches[0] : undefined;
}

/** True when the slot's node is stopping or gone, so only a new process can serve in it. */
export function slotIsDown(slot: StateNode): boolean {
  return slot.state === 'exited' || slot.state === 'shutting_down';
}

async function waitForSlot(
  cwd: string,
  index: number,
  ready: (slot: StateNode) => boolean,
  timeoutMs: number,
  what: string,
): Promise<StateNode> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readState(cwd);
    if (!state) throw new LkcError('UNAVAILABLE', `the local cluster stopped while waiting for ${what}`);
    const slot = state.nodes.find((node) => node.index === index);
    if (slot && ready(slot)) return slot;
    if (Date.now() > deadline)
      throw new LkcError(
        'UNAVAILABLE',
        `${what} took over ${timeoutMs / 1000} s; see the output of \`lk-cluster start\``,
      );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Gives a drained slot of the local cluster in `cwd` a new node: waits for the old one to exit, asks the
 * supervisor to start the slot again, and waits until the new node (with a new id) serves.
 */
export async function restartDrainedSlot(cwd: string, slot: StateNode): Promise<{ id: string; url: string }> {
  const label = `node-${slot.index}`;
  await waitForSlot(
    cwd,
    slot.index,
    (s) => s.state === 'exited',
    EXIT_WAIT_MS,
    `${label} (${slot.id}) to exit`,
  );
  requestSlotRestart(cwd, slot.index);
  const started = await waitForSlot(
    cwd,
    slot.index,
    (s) => s.state === 'serving' && Boolean(s.id && s.url) && s.id !== slot.id,
    READY_WAIT_MS,
    `${label} to start again`,
  );
  return { id: started.id!, url: started.url! };
}
