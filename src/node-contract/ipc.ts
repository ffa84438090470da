import type { NodeState } from '../records.js';

/** What a supervised node tells its supervisor over the IPC channel. */
export interface NodeStateMessage {
  type: 'state';
  id: string;
  url: string;
  region: string;
  state: NodeState;
  pid: number;
}

export type NodeMessage = NodeStateMessage;

/** What the supervisor asks of a node (signals do the same for a node run by hand). */
export type SupervisorMessage = { type: 'drain'; deadline_seconds?: number } | { type: 'stop' };
