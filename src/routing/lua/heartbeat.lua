-- Writes a node record and renews its lease in one step, so no reader ever sees a fresh record with a dead
-- lease. Returns the ms that were left on the lease just before this renewal (the lease margin), or -1 when it
-- had expired (the node was considered dead).
-- The lease holds `ttl:deadline` (ms, Redis clock): the key's existence is the node's life, as ever, and its value
-- says how long it has left, so changes.lua reads every lease with one MGET instead of a PTTL and a GET per node.
-- KEYS[1] nodes  KEYS[2] node_state  KEYS[3] node_version  KEYS[4] node_updates  KEYS[5] node_removed
-- ARGV[1] prefix  ARGV[2] node id  ARGV[3] record JSON  ARGV[4] state  ARGV[5] lease ttl ms
local lease = ARGV[1] .. 'alive:' .. ARGV[2]
local left = redis.call('PTTL', lease)
if left == -1 then
  -- a lease without expiry (written by hand): alive, a whole ttl left
  left = tonumber(ARGV[5])
elseif left == -2 then
  left = -1
end
local clock = redis.call('TIME')
local deadline = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) + tonumber(ARGV[5])
redis.call('SET', lease, ARGV[5] .. ':' .. deadline, 'PX', ARGV[5])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
local version = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[4], version, ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[2])
return left
