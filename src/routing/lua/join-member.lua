-- A participant joins a spanning room through node ARGV[2]: counted against the whole room's max_participants,
-- atomically over every leg. A rejoin of the same identity (through any node) replaces its entry.
-- KEYS[1] members:<room>  ARGV[1] identity  ARGV[2] node id  ARGV[3] max_participants (0 = no limit)
-- Returns {outcome, node the identity was on before ('' = none), participants after}; outcome 'ok' or 'full'.
local before = redis.call('HGET', KEYS[1], ARGV[1])
local count = redis.call('HLEN', KEYS[1])
local max = tonumber(ARGV[3])
if not before and max > 0 and count >= max then
  return {'full', '', count}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if not before then
  count = count + 1
end
return {'ok', before or '', count}
