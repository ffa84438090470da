// A separate process placing rooms continuously through the nodes' Room API (livekit-server-sdk CreateRoom), as an
// application backend would, for the failover-under-load test and benchmark (test/helpers/failover-load.ts runs
// four of these). It takes the nodes, its index and the API key from the environment, creates rooms round-robin
// through the nodes (every other room a name all placers create, so several nodes place it at once), and prints
// one JSON line per call: {t, op, ok, ms, room, node, sid?, err?}. SIGTERM ends it after the call under way.
// No node:test import here: this is not a test file.
import { RoomServiceClient } from 'livekit-server-sdk';

interface PlacerNode {
  url: string;
  id: string;
}

const nodes = JSON.parse(process.env.LKC_PLACER_NODES ?? '[]') as PlacerNode[];
const index = Number(process.env.LKC_PLACER_INDEX ?? '0');
const key = process.env.LKC_PLACER_KEY ?? '';
const secret = process.env.LKC_PLACER_SECRET ?? '';
/** Seconds a call may take before it counts as failed (the SDK aborts it). */
const timeoutSeconds = Number(process.env.LKC_PLACER_TIMEOUT_S ?? '4');
/** Pause between calls, so four placers do not saturate a loaded machine. */
const pauseMs = Number(process.env.LKC_PLACER_PAUSE_MS ?? '100');

const clients = nodes.map(
  (node) => new RoomServiceClient(node.url, key, secret, { requestTimeout: timeoutSeconds }),
);
let running = true;
process.once('SIGTERM', () => {
  running = false;
});

for (let n = 0; running; n++) {
  const at = (index + n) % nodes.length;
  const room = n % 2 === 0 ? `own-${index}-${n}` : `shared-${Math.floor(n / 2)}`;
  const start = Date.now();
  let line: Record<string, unknown>;
  try {
    const created = await clients[at]!.createRoom({ name: room, emptyTimeout: 600 });
    line = { ok: true, sid: created.sid };
  } catch (err) {
    line = { ok: false, err: String((err as Error).message ?? err).slice(0, 200) };
  }
  process.stdout.write(
    `${JSON.stringify({ t: start, op: 'CreateRoom', ms: Date.now() - start, room, node: nodes[at]!.id, ...line })}\n`,
  );
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
}
process.exit(0);
