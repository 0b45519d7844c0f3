-- Writes a principal's or a role's grants, only forward in stream version.
-- KEYS[1]  the hash
-- KEYS[2]  the cache's epoch (gone when Redis was flushed or restarted)
-- ARGV[1]  the stream version the state is at
-- ARGV[2]  the epoch the caller took before reading the state from the event store; "" for a
--          command writing the state it just committed (the truth, whatever Redis lost)
-- ARGV[3]  time to live in milliseconds
-- ARGV[4..] field, value, field, value, ...
-- Returns 1 written, 0 already at this version or a later one, -2 flushed since the epoch.
if ARGV[2] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return -2
end
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
if stored >= tonumber(ARGV[1]) then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
