import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/types.js';
import { collectOutput, exitedWithin, spawnTracked } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/place-rooms.js', import.meta.url));

/** Starts `processes` real processes, lets them place `rooms` at the same moment, returns each one's answer. */
export async function placeFromProcesses(
  config: Config,
  rooms: string[],
  processes: number,
): Promise<Array<Record<string, string>>> {
  const env = {
    ...process.env,
    LKC_TEST_CONFIG: JSON.stringify(config),
    LKC_TEST_ROOMS: JSON.stringify(rooms),
  };
  const children = Array.from({ length: processes }, () =>
    spawnTracked(process.execPath, [FIXTURE], { env, stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const outputs = children.map((child) => collectOutput(child));
  await waitFor(() => outputs.every((o) => o.text().includes('ready\n')), {
    timeoutMs: 30_000,
    what: `${processes} placing processes to connect`,
  }).catch((err) => {
    for (const child of children) child.kill('SIGKILL');
    throw err;
  });
  for (const child of children) child.stdin!.write('go\n');
  const results = await Promise.all(
    children.map((child, i) =>
      exitedWithin(child, 30_000, `placing process ${i} to place its rooms and exit`),
    ),
  );
  return results.map(({ code }, i) => {
    const text = outputs[i]!.text();
    if (code !== 0) throw new Error(`placing process ${i} exited ${code}: ${text}`);
    const line = text.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`placing process ${i} printed no answer: ${text}`);
    return JSON.parse(line) as Record<string, string>;
  });
}
