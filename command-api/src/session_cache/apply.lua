-- Writes a session cache entry unless it already reflects this stream version or a later one,
-- and keeps the principal's index (its sessions, and the stream version the cache reflects).
-- KEYS[1]  the session's hash
-- KEYS[2]  the principal's set of session ids
-- KEYS[3]  the principal's applied stream version
-- ARGV[1]  stream version of the change
-- ARGV[2]  "put" (create or overwrite) or "update" (only an entry the cache holds)
-- ARGV[3]  expiry of the entry in epoch milliseconds ("" keeps the current one)
-- ARGV[4]  the session id
-- ARGV[5..] field, value, field, value, ...
-- Returns 1 written, 0 already applied (a duplicate or older change), -1 missing (an update
-- for an entry the cache does not hold: the caller rebuilds the principal from the events).
local version = tonumber(ARGV[1])
local current = redis.call('HGET', KEYS[1], 'version')
local written = 0
if not (current and tonumber(current) >= version) then
  if ARGV[2] == 'update' and not current then
    return -1
  end
  redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 5))
  if ARGV[3] ~= '' then
    redis.call('PEXPIREAT', KEYS[1], ARGV[3])
  end
  written = 1
end
-- The index lives as long as the principal's longest-lived entry.
local expire_at = tonumber(redis.call('PEXPIRETIME', KEYS[1]))
redis.call('SADD', KEYS[2], ARGV[4])
for _, key in ipairs({KEYS[2], KEYS[3]}) do
  if expire_at > 0 and tonumber(redis.call('PEXPIRETIME', key)) < expire_at then
    redis.call('PEXPIREAT', key, expire_at)
  end
end
local applied = tonumber(redis.call('GET', KEYS[3]) or '0')
if applied < version then
  redis.call('SET', KEYS[3], ARGV[1], 'KEEPTTL')
  if expire_at > 0 and tonumber(redis.call('PEXPIRETIME', KEYS[3])) < expire_at then
    redis.call('PEXPIREAT', KEYS[3], expire_at)
  end
end
return written
