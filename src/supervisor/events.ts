import { CRASH_LOOP_FAILURES, nodeLabel, QUICK_FAILURE_MS, type SupervisorEvent } from './supervisor.js';

/** One line for the operator about a supervisor event, or undefined for events not worth a line. */
export function describeEvent(event: SupervisorEvent): string | undefined {
  const node = event.node;
  const name = node.id ? `node-${node.spec.index} (${node.id})` : `node-${node.spec.index}`;
  switch (event.type) {
    case 'spawned':
      return `${name}: started, pid ${node.pid}`;
    case 'ready':
      return `${name}: ready at ${node.url}`;
    case 'exited':
      return `${name}: exited with ${event.signal ? `signal ${event.signal}` : `code ${event.code}`}`;
    case 'restarting':
      return `${nodeLabel(node)}: restarting in ${(event.delayMs / 1000).toFixed(1)} s`;
    case 'crash-loop':
      return `${name} is crash-looping: it failed ${CRASH_LOOP_FAILURES} times within ${QUICK_FAILURE_MS / 1000} s of starting; restarts back off up to 30 s. Last output: ${node.output.slice(-3).join(' | ') || '(none)'}`;
    case 'finished':
      return `${name}: drained and exited; not restarted`;
    case 'freed':
      return `node-${node.spec.index} (${event.nodeId}): removed from the cluster ${event.ms} ms after it died; its ${event.rooms} room${event.rooms === 1 ? '' : 's'} can be placed elsewhere now`;
    case 'free-failed':
      return `node-${node.spec.index} (${event.nodeId}): could not be removed from the cluster (${event.error}); its rooms are freed when its lease expires`;
  }
}
