-- A participant left a spanning room: its entry goes only while it names this node (a rejoin elsewhere stays).
-- KEYS[1] members:<room>  ARGV[1] identity  ARGV[2] node id
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
