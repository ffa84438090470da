-- Places a room atomically. An existing mapping to a node whose lease is alive and whose state is serving or
-- draining is kept (sticky); with ARGV[6] = '1' (the caller saw the store fail within a lease: every lease may
-- have run out through the outage) a holder still registered serving or draining is kept without its lease. Otherwise the room goes to the chosen node, but only if that node's lease is
-- alive, it is serving, and it has room left under max_rooms counting rooms claimed in the current window.
-- Rooms claimed on a node are counted per window (started by the first claim, Redis clock), so that selectors
-- can count them against the node's load until its stats report them.
-- Returns {outcome, holder, recent, ms left in the window}; outcome is one of
--   held           the room stays on holder
--   claimed        the room is now on holder (the chosen node)
--   none           no live holder and no node was chosen (lookup only)
--   chosen_dead    the chosen node's lease has expired
--   chosen_state   the chosen node is not serving
--   chosen_full    the chosen node reached max_rooms in this window
-- KEYS[1] room_node  KEYS[2] node_state  KEYS[3] placement_version  KEYS[4] recent_touched  KEYS[5] recent
-- ARGV[1] prefix  ARGV[2] room  ARGV[3] chosen node id ('' = lookup only)  ARGV[4] window ms
-- ARGV[5] rooms the chosen node may still take (-1 = no limit)  ARGV[6] '1' = trust registered holders
local prefix = ARGV[1]
local room = ARGV[2]
local holder = redis.call('HGET', KEYS[1], room)
if holder then
  if ARGV[6] == '1' or redis.call('EXISTS', prefix .. 'alive:' .. holder) == 1 then
    local state = redis.call('HGET', KEYS[2], holder)
    if state == 'serving' or state == 'draining' then
      return {'held', holder, 0, 0}
    end
  end
end
local chosen = ARGV[3]
if chosen == '' then
  return {'none', '', 0, 0}
end
if redis.call('EXISTS', prefix .. 'alive:' .. chosen) == 0 then
  return {'chosen_dead', chosen, 0, 0}
end
if redis.call('HGET', KEYS[2], chosen) ~= 'serving' then
  return {'chosen_state', chosen, 0, 0}
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local recent, windowEnd = 0, 0
local entry = redis.call('HGET', KEYS[5], chosen)
if entry then
  local sep = string.find(entry, ':', 1, true)
  recent, windowEnd = tonumber(string.sub(entry, 1, sep - 1)), tonumber(string.sub(entry, sep + 1))
  if now >= windowEnd then
    recent, windowEnd = 0, 0
  end
end
local allowance = tonumber(ARGV[5])
if allowance >= 0 and recent >= allowance then
  return {'chosen_full', chosen, recent, windowEnd - now}
end
redis.call('HSET', KEYS[1], room, chosen)
if holder then
  redis.call('SREM', prefix .. 'node_rooms:' .. holder, room)
end
redis.call('SADD', prefix .. 'node_rooms:' .. chosen, room)
if recent == 0 then
  windowEnd = now + tonumber(ARGV[4])
end
recent = recent + 1
redis.call('HSET', KEYS[5], chosen, recent .. ':' .. windowEnd)
local version = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[4], version, chosen)
return {'claimed', chosen, recent, windowEnd - now}
