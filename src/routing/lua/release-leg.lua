-- A node closes its leg of a spanning room: its leg record and its participants go. Needs lib/span.lua.
-- KEYS[1] legs:<room>  ARGV[1] prefix  ARGV[2] room  ARGV[3] node id
-- Returns 1 when the node held a leg.
local held = redis.call('HEXISTS', KEYS[1], ARGV[3])
drop_leg(ARGV[1], ARGV[2], ARGV[3])
return held
