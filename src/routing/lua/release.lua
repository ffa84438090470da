-- Compare-and-delete: clears a room's mapping only if the given node holds it; a spanning room's legs and members
-- go with it (the room ended). Returns 1 if cleared. Needs lib/span.lua.
-- KEYS[1] room_node  ARGV[1] prefix  ARGV[2] room  ARGV[3] node id
if redis.call('HGET', KEYS[1], ARGV[2]) ~= ARGV[3] then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('SREM', ARGV[1] .. 'node_rooms:' .. ARGV[3], ARGV[2])
end_span(ARGV[1], ARGV[2])
return 1
