import { startSentinel } from '../helpers/redis-sentinel.js';
import { routerSuite } from './router-suite.js';

routerSuite('redis sentinel (master, replica, sentinel)', async () => {
  const sentinel = await startSentinel();
  return {
    redis: { sentinel_master_name: sentinel.masterName, sentinel_addresses: [sentinel.sentinelAddress] },
    stop: () => sentinel.stop(),
  };
});
