import type { NodeView } from '../records.js';

/** CPU time a node has used, read from its /metrics. */
export interface NodeCpu {
  /** The node process (user + system seconds). */
  process: number;
  /** Its mediasoup workers together. */
  workers: number;
  workerCount: number;
}

/** The values of one metric family in Prometheus text, one per label set; none when the node has none. */
function samples(text: string, name: string): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) values.push(value);
  }
  return values;
}

/** Reads a node's CPU counters from its Prometheus text. */
export function nodeCpuOf(metrics: string): NodeCpu | undefined {
  const [processSeconds] = samples(metrics, 'lkc_process_cpu_seconds_total');
  const workers = samples(metrics, 'lkc_worker_cpu_seconds');
  if (processSeconds === undefined) return undefined;
  return {
    process: processSeconds,
    workers: workers.reduce((a, b) => a + b, 0),
    workerCount: workers.length,
  };
}

/** GET a node's /metrics and read its CPU; undefined when it does not answer or has no such metrics. */
export async function scrapeNodeCpu(node: Pick<NodeView, 'url'>): Promise<NodeCpu | undefined> {
  try {
    const response = await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return undefined;
    return nodeCpuOf(await response.text());
  } catch {
    return undefined;
  }
}
