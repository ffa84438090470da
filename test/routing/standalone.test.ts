import { startRedis } from '../helpers/redis-server.js';
import { routerSuite } from './router-suite.js';

routerSuite('a standalone redis-server', async () => {
  const redis = await startRedis();
  return { redis: { address: redis.address }, stop: () => redis.stop() };
});
