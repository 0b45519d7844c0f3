-- Writes one change to the session cache: an entry, only forward in stream version, and the
-- principal's index (one hash: its session ids as fields, and in field `v` the stream version
-- up to which the index is whole).
-- KEYS[1]  the session's hash
-- KEYS[2]  the principal's index
-- KEYS[3]  the cache's epoch (gone when Redis was flushed or restarted)
-- KEYS[4]  the active sessions: session ids scored by when each ends (epoch milliseconds)
-- ARGV[1]  stream version of the change
-- ARGV[2]  "put" (create or overwrite the entry), "update" (only an entry the cache holds),
--          "advance" (no entry changes: only the principal's version moves) or "claim" (the
--          principal's every session was just put as of this version)
-- ARGV[3]  expiry in epoch milliseconds: of the entry ("put"), of the index ("advance",
--          "claim"); "" keeps the entry's
-- ARGV[4]  the session id ("put", "update")
-- ARGV[5]  the epoch the caller took before reading what it writes; "" for a change that is
--          safe whatever happened since (an update to an entry the cache still holds)
-- ARGV[6..] field, value, field, value, ...
-- Returns 1 written, 0 already applied (a duplicate or older change), -1 missing (an update
-- for an entry the cache does not hold: the caller rebuilds the principal from the events),
-- -2 flushed (the cache was emptied since the caller's epoch: what it read may be older than
-- what was lost, so nothing is written).
if ARGV[5] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[5] then
  return -2
end
local version = tonumber(ARGV[1])
local mode = ARGV[2]

local function extend(key, at)
  if at > 0 and tonumber(redis.call('PEXPIRETIME', key)) < at then
    redis.call('PEXPIREAT', key, at)
  end
end

-- An entry just written is active until the earlier of its expiry and its idle end, unless
-- revoked; ended ones leave the active set (expired ones are trimmed by its reader).
local function track(entry, session_id)
  local f = redis.call('HMGET', entry, 'revoked', 'expires_at', 'last_used_at', 'idle_timeout_secs')
  if f[1] ~= '' then
    redis.call('ZREM', KEYS[4], session_id)
    return
  end
  local idle_end = tonumber(f[3]) + tonumber(f[4]) * 1000000
  redis.call('ZADD', KEYS[4], math.floor(math.min(tonumber(f[2]), idle_end) / 1000), session_id)
end

local written = 0
local expire_at = tonumber(ARGV[3]) or 0
if mode == 'put' or mode == 'update' then
  local current = redis.call('HGET', KEYS[1], 'version')
  if not (current and tonumber(current) >= version) then
    if mode == 'update' and not current then
      return -1
    end
    redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 6))
    if ARGV[3] ~= '' then
      redis.call('PEXPIREAT', KEYS[1], ARGV[3])
    end
    track(KEYS[1], ARGV[4])
    written = 1
  end
  redis.call('HSET', KEYS[2], ARGV[4], '')
  -- The index lives as long as the principal's longest-lived entry.
  expire_at = tonumber(redis.call('PEXPIRETIME', KEYS[1]))
end

-- The principal's version says the index holds every session as of it, so it moves only to
-- the next version (an event applied in stream order) or to a version claimed whole.
local applied = tonumber(redis.call('HGET', KEYS[2], 'v') or '0')
if applied == version - 1 or (mode == 'claim' and applied < version) then
  redis.call('HSET', KEYS[2], 'v', ARGV[1])
  if mode == 'advance' or mode == 'claim' then
    written = 1
  end
end
extend(KEYS[2], expire_at)
return written
