-- What changed since a router last looked, read atomically so a cached view never misses a write:
-- node records written after node version ARGV[2] (with their lease ms left and lease ttl), nodes removed
-- after it, and recent-placement counters of nodes claimed on after placement version ARGV[3].
-- Returns {node_version, removed_floor, placement_version, {id, json, pttl, ttl, ...}, {id, ...},
--          {id, count, pttl, ...}}
-- KEYS[1] nodes  KEYS[2] node_version  KEYS[3] node_updates  KEYS[4] node_removed  KEYS[5] node_removed_floor
-- KEYS[6] placement_version  KEYS[7] recent_touched  KEYS[8] recent
-- ARGV[1] prefix  ARGV[2] since node version  ARGV[3] since placement version
local prefix = ARGV[1]
local nodeVersion = tonumber(redis.call('GET', KEYS[2]) or '0')
local floor = tonumber(redis.call('GET', KEYS[5]) or '0')
local placementVersion = tonumber(redis.call('GET', KEYS[6]) or '0')
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local updated = {}
-- Leases are read with MGET, a batch at a time (Lua's unpack takes a few thousand values at most): a lease that
-- exists holds `ttl:deadline` (heartbeat.lua), one that does not is a dead node. A lease in another form (set by
-- an older node) is asked for its PTTL.
local BATCH = 1000
local function add(ids, records)
  for first = 1, #ids, BATCH do
    local last = math.min(first + BATCH - 1, #ids)
    local leases = {}
    for i = first, last do
      leases[#leases + 1] = prefix .. 'alive:' .. ids[i]
    end
    local values = redis.call('MGET', unpack(leases))
    for i = first, last do
      local value = values[i - first + 1]
      local left, ttl = -2, '0'
      if value then
        local sep = string.find(value, ':', 1, true)
        if sep then
          ttl = string.sub(value, 1, sep - 1)
          left = math.max(0, tonumber(string.sub(value, sep + 1)) - now)
        else
          ttl = value
          left = redis.call('PTTL', leases[i - first + 1])
        end
      end
      updated[#updated + 1] = ids[i]
      updated[#updated + 1] = records[i]
      updated[#updated + 1] = left
      updated[#updated + 1] = ttl
    end
  end
end
if ARGV[2] == '0' then
  -- A first look wants every record: one HGETALL instead of an HGET per node (a CLI command at 10,000 nodes).
  local all = redis.call('HGETALL', KEYS[1])
  local ids, records = {}, {}
  for i = 1, #all, 2 do
    ids[#ids + 1] = all[i]
    records[#records + 1] = all[i + 1]
  end
  add(ids, records)
else
  local ids, records = {}, {}
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[2], '+inf')) do
    local record = redis.call('HGET', KEYS[1], id)
    if record then
      ids[#ids + 1] = id
      records[#records + 1] = record
    end
  end
  add(ids, records)
end
local removed = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. ARGV[2], '+inf')
local recent = {}
local touched = redis.call('ZRANGEBYSCORE', KEYS[7], '(' .. ARGV[3], '+inf')
if #touched > 0 then
  local entries = redis.call('HMGET', KEYS[8], unpack(touched))
  for i, id in ipairs(touched) do
    local count, left = 0, -2
    local entry = entries[i]
    if entry then
      local sep = string.find(entry, ':', 1, true)
      left = tonumber(string.sub(entry, sep + 1)) - now
      if left > 0 then
        count = tonumber(string.sub(entry, 1, sep - 1))
      else
        left = -2
      end
    end
    recent[#recent + 1] = id
    recent[#recent + 1] = count
    recent[#recent + 1] = left
  end
end
return {nodeVersion, floor, placementVersion, updated, removed, recent}
