-- Re-asserts a node's leg of a spanning room (after Redis came back empty, or the node's lease had expired): the
-- leg is recorded again while the room has a live home that is not this node. Needs lib/span.lua.
-- KEYS[1] room_node  KEYS[2] legs:<room>  ARGV[1] prefix  ARGV[2] room  ARGV[3] node id  ARGV[4] leg record
-- Returns the home, or '' when the room has no live home (the leg should close).
local prefix, room, id = ARGV[1], ARGV[2], ARGV[3]
local home = redis.call('HGET', KEYS[1], room)
if not home or home == id or not is_live(prefix, home) then
  return ''
end
redis.call('HSET', KEYS[2], id, ARGV[4])
redis.call('SADD', prefix .. 'node_legs:' .. id, room)
redis.call('SADD', prefix .. 'span_rooms', room)
return home
