-- The home node of a spanning room leaves it (drains, or its worker died) while legs live on: a live leg becomes
-- the home at once, so the room goes on without a second placement. Needs lib/span.lua.
-- KEYS[1] room_node  KEYS[2] rooms  ARGV[1] prefix  ARGV[2] room  ARGV[3] the leaving home's node id
-- Returns the new home, or '' when the node is not the home or no live leg is left.
if redis.call('HGET', KEYS[1], ARGV[2]) ~= ARGV[3] then
  return ''
end
return promote_leg(ARGV[1], KEYS[1], KEYS[2], ARGV[2], ARGV[3]) or ''
