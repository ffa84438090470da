-- PUBLISH on a Redis Cluster through the master of the prefix's slot. A keyless PUBLISH goes to any master, so two
-- frames of one relay session could leave through two masters and arrive out of order; keyed, every frame takes
-- the same master and the same connection, in order. Returns the subscribers of that shard that heard it.
-- KEYS[1] any key of the prefix (only routes the script)  ARGV[1] channel  ARGV[2] message
return redis.call('PUBLISH', ARGV[1], ARGV[2])
