import { WebSocket } from 'ws';
import { waitFor } from './wait.js';

/** The environment that opens a node's inspector on a free loopback port, so a test can read its live heap. */
export const INSPECTABLE = { NODE_OPTIONS: '--inspect=127.0.0.1:0' };

/** The inspector's WebSocket address, as the node printed it on stderr. */
export async function inspectorUrl(output: () => string): Promise<string> {
  const found = await waitFor(
    () => /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(output()),
    {
      what: 'the node to print its inspector address',
    },
  );
  return found[1]!;
}

/**
 * The node's live heap: the inspector runs a full garbage collection first, so what is left is what the process
 * keeps. Heap figures read any other way include garbage not collected yet, which hides a slow leak or fakes one.
 */
export async function liveHeapBytes(url: string): Promise<number> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let next = 1;
  const call = (method: string) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method}`)), 30_000);
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(String(data));
        if (message.id !== id) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    return (await call('Runtime.getHeapUsage')).usedSize!;
  } finally {
    socket.close();
  }
}
