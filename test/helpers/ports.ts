/** Asks the kernel for a free TCP port on loopback (the supervisor's own, so tests and code pick ports alike). */
export { freeLoopbackPort as freePort } from '../../src/supervisor/local-redis.js';
