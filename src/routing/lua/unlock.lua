-- Compare-and-delete: releases a lock only for the holder of its token. Returns 1 if released.
-- KEYS[1] lock  ARGV[1] token
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
return redis.call('DEL', KEYS[1])
