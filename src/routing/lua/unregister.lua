-- Removes a node: its record, lease, counters, and every room mapping (and room record) it holds. Leaves a
-- tombstone so that routers with a cached view learn the node is gone.
-- KEYS[1] nodes  KEYS[2] node_state  KEYS[3] node_version  KEYS[4] node_updates  KEYS[5] node_removed
-- KEYS[6] node_removed_floor  KEYS[7] room_node  KEYS[8] rooms  KEYS[9] recent_touched  KEYS[10] recent
-- ARGV[1] prefix  ARGV[2] node id  ARGV[3] tombstones to keep
local id = ARGV[2]
local roomsKey = ARGV[1] .. 'node_rooms:' .. id
local held = redis.call('SMEMBERS', roomsKey)
for _, room in ipairs(held) do
  if redis.call('HGET', KEYS[7], room) == id then
    redis.call('HDEL', KEYS[7], room)
    redis.call('HDEL', KEYS[8], room)
  end
end
redis.call('DEL', roomsKey, ARGV[1] .. 'alive:' .. id)
redis.call('HDEL', KEYS[10], id)
redis.call('HDEL', KEYS[1], id)
redis.call('HDEL', KEYS[2], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[9], id)
local version = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[5], version, id)
local keep = tonumber(ARGV[3])
local count = redis.call('ZCARD', KEYS[5])
if count > keep then
  local newest_dropped = redis.call('ZRANGE', KEYS[5], count - keep - 1, count - keep - 1, 'WITHSCORES')
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, count - keep - 1)
  redis.call('SET', KEYS[6], newest_dropped[2])
end
return #held
