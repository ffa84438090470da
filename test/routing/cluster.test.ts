import { startCluster } from '../helpers/redis-cluster.js';
import { routerSuite } from './router-suite.js';

routerSuite('a 3-master redis cluster', async () => {
  const cluster = await startCluster(3);
  return { redis: { cluster_addresses: cluster.addresses }, stop: () => cluster.stop() };
});
