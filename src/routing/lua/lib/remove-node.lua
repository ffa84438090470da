-- Removing a node, shared by unregister.lua and sweep.lua. Redis scripts cannot call one another, so scripts.ts
-- prepends this file to every script whose SCRIPTS entry lists 'remove-node': each stays one EVAL/EVALSHA text,
-- the same on standalone, Sentinel and Cluster Redis.

-- The keys of nodeRemovalKeys() in keys.ts, in its order, from KEYS[first] on.
local function node_removal_keys(first)
  return {
    nodes = KEYS[first],
    node_state = KEYS[first + 1],
    node_version = KEYS[first + 2],
    node_updates = KEYS[first + 3],
    node_removed = KEYS[first + 4],
    node_removed_floor = KEYS[first + 5],
    room_node = KEYS[first + 6],
    rooms = KEYS[first + 7],
    recent_touched = KEYS[first + 8],
    recent = KEYS[first + 9],
  }
end

-- Removes node `id` (k from node_removal_keys): every room mapping it still holds and its room record
-- (compare-and-delete: a room another node has claimed since stays with it), except that a spanning room with a
-- live leg gets that leg as its home instead; its legs of other rooms; its node_rooms set, record, state, update
-- entry and recent claims; then leaves a tombstone at a new node version so that routers with a cached view learn
-- it is gone. Returns the rooms cleared, every room its set held, and {room, new home, ...} for the promoted.
-- Needs lib/span.lua before it.
local function remove_node(k, prefix, id)
  local roomsKey = prefix .. 'node_rooms:' .. id
  local held = redis.call('SMEMBERS', roomsKey)
  local cleared, promoted = {}, {}
  for _, room in ipairs(held) do
    if redis.call('HGET', k.room_node, room) == id then
      local home = promote_leg(prefix, k.room_node, k.rooms, room, id)
      if home then
        promoted[#promoted + 1] = room
        promoted[#promoted + 1] = home
      else
        redis.call('HDEL', k.room_node, room)
        redis.call('HDEL', k.rooms, room)
        end_span(prefix, room)
        cleared[#cleared + 1] = room
      end
    end
  end
  redis.call('DEL', roomsKey)
  local legsKey = prefix .. 'node_legs:' .. id
  for _, room in ipairs(redis.call('SMEMBERS', legsKey)) do
    drop_leg(prefix, room, id)
  end
  redis.call('DEL', legsKey)
  redis.call('HDEL', k.nodes, id)
  redis.call('HDEL', k.node_state, id)
  redis.call('ZREM', k.node_updates, id)
  redis.call('ZREM', k.recent_touched, id)
  redis.call('HDEL', k.recent, id)
  local version = redis.call('INCR', k.node_version)
  redis.call('ZADD', k.node_removed, version, id)
  return cleared, held, promoted
end

-- Keeps the newest `keep` (a number or an ARGV string) tombstones; node_removed_floor becomes the version of the newest one dropped, so that a
-- router that last looked before it reloads everything.
local function trim_tombstones(k, keep)
  keep = tonumber(keep)
  local count = redis.call('ZCARD', k.node_removed)
  if count > keep then
    local newest_dropped = redis.call('ZRANGE', k.node_removed, count - keep - 1, count - keep - 1, 'WITHSCORES')
    redis.call('ZREMRANGEBYRANK', k.node_removed, 0, count - keep - 1)
    redis.call('SET', k.node_removed_floor, newest_dropped[2])
  end
end
