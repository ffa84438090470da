-- Sweeps dead nodes: removes each node whose lease expired from the registry, with every room mapping (and room
-- record) it still holds, and tells the cluster on its events channel. Runs only for the holder of the sweep
-- lock (its token), so that exactly one live node sweeps at a time, and at most once per ARGV[6] ms over the
-- whole cluster (a marker key), so that every node may try every interval at the cost of one check.
-- Dead nodes sink to the bottom of node_updates (ordered by the version of each node's last write: live nodes
-- write every interval), so the scan starts there and stops after ARGV[4] live nodes in a row.
-- Returns {status, {node id, rooms cleared, ...}}; status is 'swept', 'recent' (marker set) or 'not_holder'.
-- Needs lib/span.lua and lib/remove-node.lua.
-- KEYS[1] sweep lock  KEYS[2] swept marker  KEYS[3] nodes  KEYS[4] node_state  KEYS[5] node_version
-- KEYS[6] node_updates  KEYS[7] node_removed  KEYS[8] node_removed_floor  KEYS[9] room_node  KEYS[10] rooms
-- KEYS[11] recent_touched  KEYS[12] recent
-- ARGV[1] prefix  ARGV[2] lock token  ARGV[3] sweeping node id  ARGV[4] live nodes in a row that end the scan
-- ARGV[5] most nodes swept per call  ARGV[6] marker ms  ARGV[7] tombstones to keep  ARGV[8] events channel
local prefix = ARGV[1]
local k = node_removal_keys(3)
if redis.call('GET', KEYS[1]) ~= ARGV[2] then
  return {'not_holder', {}}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'recent', {}}
end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[6])
local liveRun, maxLive, maxSwept = 0, tonumber(ARGV[4]), tonumber(ARGV[5])
local swept, report = 0, {}
local offset, batch = 0, 64
while liveRun < maxLive and swept < maxSwept do
  local ids = redis.call('ZRANGE', k.node_updates, offset, offset + batch - 1)
  if #ids == 0 then break end
  local removedHere = 0
  for _, id in ipairs(ids) do
    if liveRun >= maxLive or swept >= maxSwept then break end
    if id == ARGV[3] or redis.call('EXISTS', prefix .. 'alive:' .. id) == 1 then
      liveRun = liveRun + 1
    else
      liveRun = 0
      local cleared, _, promoted = remove_node(k, prefix, id)
      redis.call('PUBLISH', ARGV[8], cjson.encode({type = 'node.swept', node = id, rooms = cleared, promoted = promoted, by = ARGV[3]}))
      swept = swept + 1
      removedHere = removedHere + 1
      report[#report + 1] = id
      report[#report + 1] = #cleared
    end
  end
  -- Removed entries shift the ones after them down; only the live ones stay before the next batch.
  offset = offset + #ids - removedHere
end
if swept > 0 then
  trim_tombstones(k, ARGV[7])
end
return {'swept', report}
