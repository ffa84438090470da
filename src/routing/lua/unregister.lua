-- Removes a node: its record, lease, counters, and every room mapping (and room record) it holds. Leaves a
-- tombstone so that routers with a cached view learn the node is gone. Needs lib/span.lua and lib/remove-node.lua.
-- KEYS[1] nodes  KEYS[2] node_state  KEYS[3] node_version  KEYS[4] node_updates  KEYS[5] node_removed
-- KEYS[6] node_removed_floor  KEYS[7] room_node  KEYS[8] rooms  KEYS[9] recent_touched  KEYS[10] recent
-- ARGV[1] prefix  ARGV[2] node id  ARGV[3] tombstones to keep
-- Returns how many rooms the node's set held (cleared or not).
local k = node_removal_keys(1)
local id = ARGV[2]
local _, held = remove_node(k, ARGV[1], id)
redis.call('DEL', ARGV[1] .. 'alive:' .. id)
trim_tombstones(k, ARGV[3])
return #held
