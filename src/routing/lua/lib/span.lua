-- The legs of spanning rooms, shared by the scripts that open, close and hand over legs and by remove-node.lua.
-- A spanning room keeps its home in room_node; legs:<room> maps each other node holding a leg to its JSON record,
-- node_legs:<node> lists the rooms a node holds legs of, members:<room> maps each participant to its node, and
-- span_rooms lists the rooms that have legs now.

local function is_live(prefix, id)
  return redis.call('EXISTS', prefix .. 'alive:' .. id) == 1
end

-- Forgets the participants of `room` that are connected to node `id`.
local function drop_members(prefix, room, id)
  local key = prefix .. 'members:' .. room
  local members = redis.call('HGETALL', key)
  for i = 1, #members, 2 do
    if members[i + 1] == id then
      redis.call('HDEL', key, members[i])
    end
  end
end

-- Takes `room` off span_rooms once it has no leg left.
local function forget_if_legless(prefix, room)
  if redis.call('HLEN', prefix .. 'legs:' .. room) == 0 then
    redis.call('SREM', prefix .. 'span_rooms', room)
  end
end

-- Removes node `id`'s leg of `room`, with its participants.
local function drop_leg(prefix, room, id)
  redis.call('HDEL', prefix .. 'legs:' .. room, id)
  redis.call('SREM', prefix .. 'node_legs:' .. id, room)
  drop_members(prefix, room, id)
  forget_if_legless(prefix, room)
end

-- The room ended: every leg and member entry goes.
local function end_span(prefix, room)
  local legsKey = prefix .. 'legs:' .. room
  for _, id in ipairs(redis.call('HKEYS', legsKey)) do
    redis.call('SREM', prefix .. 'node_legs:' .. id, room)
  end
  redis.call('DEL', legsKey)
  redis.call('DEL', prefix .. 'members:' .. room)
  redis.call('SREM', prefix .. 'span_rooms', room)
end

-- Makes a live leg of `room` its home in place of node `from` (which leaves it): a serving leg before a draining
-- one. The leg's record becomes the mapping, the room record names the new home. Returns the new home or nil.
local function promote_leg(prefix, room_node, rooms, room, from)
  local legsKey = prefix .. 'legs:' .. room
  local chosen, chosenServing = nil, false
  for _, id in ipairs(redis.call('HKEYS', legsKey)) do
    if id ~= from and is_live(prefix, id) then
      local state = redis.call('HGET', prefix .. 'node_state', id)
      if state == 'serving' and not chosenServing then
        chosen, chosenServing = id, true
      elseif state == 'draining' and not chosen then
        chosen = id
      end
    end
  end
  if not chosen then
    return nil
  end
  redis.call('HSET', room_node, room, chosen)
  redis.call('SREM', prefix .. 'node_rooms:' .. from, room)
  redis.call('SADD', prefix .. 'node_rooms:' .. chosen, room)
  redis.call('HDEL', legsKey, chosen)
  redis.call('SREM', prefix .. 'node_legs:' .. chosen, room)
  drop_members(prefix, room, from)
  forget_if_legless(prefix, room)
  local record = redis.call('HGET', rooms, room)
  if record then
    local ok, decoded = pcall(cjson.decode, record)
    if ok and type(decoded) == 'table' then
      decoded.node_id = chosen
      redis.call('HSET', rooms, room, cjson.encode(decoded))
    end
  end
  return chosen
end
