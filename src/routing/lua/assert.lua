-- Re-asserts that a node hosts a room (after the node learns its lease had expired, or after a Redis
-- restart): the mapping is written only where no other node with a live lease holds the room.
-- Returns the holder afterwards.
-- KEYS[1] room_node  ARGV[1] prefix  ARGV[2] room  ARGV[3] node id
local holder = redis.call('HGET', KEYS[1], ARGV[2])
if holder and holder ~= ARGV[3] and redis.call('EXISTS', ARGV[1] .. 'alive:' .. holder) == 1 then
  return holder
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if holder and holder ~= ARGV[3] then
  redis.call('SREM', ARGV[1] .. 'node_rooms:' .. holder, ARGV[2])
end
redis.call('SADD', ARGV[1] .. 'node_rooms:' .. ARGV[3], ARGV[2])
return ARGV[3]
