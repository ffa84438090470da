-- Finds or opens a leg of a spanning room in a region, atomically, so that joins through several nodes of one
-- region at once open one leg there. Needs lib/span.lua.
-- Returns {outcome, node}; outcome is one of
--   no_home       the room has no live home (place it first)
--   home          the chosen node is the home itself
--   held          a live, serving leg in the region (not excluded) exists: join it
--   none          no such leg and nothing was chosen (lookup only)
--   chosen_dead   the chosen node's lease has expired
--   chosen_state  the chosen node is not serving
--   claimed       the chosen node now holds a leg of the room
-- KEYS[1] room_node  KEYS[2] node_state  KEYS[3] legs:<room>
-- ARGV[1] prefix  ARGV[2] room  ARGV[3] region  ARGV[4] chosen node ('' = lookup only)  ARGV[5] its leg record
-- ARGV[6...] nodes whose leg must not be returned (full)
local prefix, room, region, chosen = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local home = redis.call('HGET', KEYS[1], room)
if not home or not is_live(prefix, home) then
  return {'no_home', ''}
end
local excluded = {}
for i = 6, #ARGV do
  excluded[ARGV[i]] = true
end
local legs = redis.call('HGETALL', KEYS[3])
for i = 1, #legs, 2 do
  local id = legs[i]
  if not excluded[id] and is_live(prefix, id) and redis.call('HGET', KEYS[2], id) == 'serving' then
    local ok, leg = pcall(cjson.decode, legs[i + 1])
    if ok and type(leg) == 'table' and leg.region == region then
      return {'held', id}
    end
  end
end
if chosen == '' then
  return {'none', ''}
end
if chosen == home then
  return {'home', home}
end
if not is_live(prefix, chosen) then
  return {'chosen_dead', chosen}
end
if redis.call('HGET', KEYS[2], chosen) ~= 'serving' then
  return {'chosen_state', chosen}
end
redis.call('HSET', KEYS[3], chosen, ARGV[5])
redis.call('SADD', prefix .. 'node_legs:' .. chosen, room)
redis.call('SADD', prefix .. 'span_rooms', room)
return {'claimed', chosen}
