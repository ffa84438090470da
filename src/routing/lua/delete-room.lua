-- Deletes a room record only if the given node holds the room. Returns 1 if deleted.
-- KEYS[1] room_node  KEYS[2] rooms  ARGV[1] room  ARGV[2] node id
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
return redis.call('HDEL', KEYS[2], ARGV[1])
