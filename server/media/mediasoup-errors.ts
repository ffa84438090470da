/**
 * mediasoup answers a request its worker cannot do with a plain Error; some of those are the client's doing and
 * must be refused as such, not reported as the node's failure. Matched by the worker's own words (mediasoup
 * gives them no type), each with the signalling code it becomes.
 */
const CLIENT_CAUSED: [RegExp, 'not_found' | 'invalid_data' | 'unavailable', string][] = [
  // The object closed in the worker (its producer or transport went) before the node heard of it.
  [/request handler with ID \S+ not found/, 'not_found', 'it closed meanwhile'],
  [/already called|already connected/, 'invalid_data', 'it is connected already'],
  [/streamId already exists/, 'invalid_data', 'that SCTP stream id is in use already'],
  [/no more available ports/, 'unavailable', 'this node has no free media port left'],
];

/** The refusal a mediasoup error stands for, or undefined when it is the node's own failure. */
export function mediasoupRefusal(
  err: unknown,
): { code: 'not_found' | 'invalid_data' | 'unavailable'; message: string } | undefined {
  if (!(err instanceof Error)) return undefined;
  for (const [pattern, code, message] of CLIENT_CAUSED)
    if (pattern.test(err.message)) return { code, message };
  return undefined;
}
