-- Forgets a node now, when its process is known to be gone (its supervisor saw it exit, or an operator or a
-- service manager's stop hook says so): removes it as a sweep does, lease included, and tells the cluster on its
-- events channel, so that its rooms are placeable at once instead of when its lease expires. Refused while the
-- lease is alive unless forced: a live lease may belong to a running node.
-- Returns {status, ms left on the lease (-2: none), {rooms cleared}}; status is 'forgotten', 'alive' (refused)
-- or 'unknown' (no record, lease or rooms of that id). Needs lib/span.lua and lib/remove-node.lua.
-- KEYS[1..10] the node removal keys (nodeRemovalKeys)
-- ARGV[1] prefix  ARGV[2] node id  ARGV[3] '1' to forget a node whose lease is alive  ARGV[4] who forgets it
-- ARGV[5] why (named in the event)  ARGV[6] tombstones to keep  ARGV[7] events channel
local k = node_removal_keys(1)
local prefix, id = ARGV[1], ARGV[2]
local lease = prefix .. 'alive:' .. id
local left = redis.call('PTTL', lease)
if left ~= -2 and ARGV[3] ~= '1' then
  return {'alive', left, {}}
end
if left == -2 and redis.call('HEXISTS', k.nodes, id) == 0 and redis.call('EXISTS', prefix .. 'node_rooms:' .. id) == 0
  and redis.call('EXISTS', prefix .. 'node_legs:' .. id) == 0 then
  return {'unknown', left, {}}
end
local cleared, _, promoted = remove_node(k, prefix, id)
redis.call('DEL', lease)
trim_tombstones(k, ARGV[6])
redis.call('PUBLISH', ARGV[7], cjson.encode({type = 'node.swept', node = id, rooms = cleared, promoted = promoted, by = ARGV[4], why = ARGV[5]}))
return {'forgotten', left, cleared}
