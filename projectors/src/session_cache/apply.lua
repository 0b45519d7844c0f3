-- Writes a session cache entry unless it already reflects this stream version or a later one.
-- KEYS[1]  the session's hash
-- ARGV[1]  stream version of the change
-- ARGV[2]  "put" (whole entry) or "update" (fields of an existing entry)
-- ARGV[3]  expiry in epoch milliseconds ("" keeps the current one)
-- ARGV[4..] field, value, field, value, ...
-- Returns 1 written, 0 already applied (a duplicate or older change), -1 missing (an update
-- for an entry the cache does not hold: the caller rebuilds it from the event store).
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
if ARGV[2] == 'update' and not current then
  return -1
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 4))
if ARGV[3] ~= '' then
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
end
return 1
