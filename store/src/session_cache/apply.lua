-- Writes changes to the session cache, in order, each only forward in stream version: a batch
-- of the writes that queued while the last one was on its way (see batch.rs). A change is an
-- entry in its principal's hash, which holds every cached session of the principal (see
-- entry.rs: a record under the 16-byte session id, the revocation reason under the id and `r`,
-- the texts in pieces under the id and `0`, `1`, ...) and in field `v` the stream version up to
-- which it holds them all.
-- KEYS, three per change:
--   the principal's hash
--   the cache's epoch (gone when Redis was flushed or restarted)
--   the active sessions counted by when each ends: field = the epoch second it ends in
--   (rounded up), value = how many end then (see active.rs)
-- ARGV, per change: how many arguments it has, then
--   1  stream version of the change
--   2  "put" (create or overwrite the entry), "update" (only an entry the cache holds),
--      "advance" (no entry changes: only the principal's version moves) or "claim" (the
--      principal's every session was just put as of this version)
--   3  the hash's expiry in epoch milliseconds ("advance", "claim")
--   4  the session id ("put", "update")
--   5  the epoch the caller took before reading what it writes; "" for a change that is safe
--      whatever happened since (an update to an entry the cache still holds)
--   6.. "put": the record, the revocation reason ("" for none), the pieces of the texts;
--      "update": "used" and the last use in µs, or "revoked" and the reason
-- Returns, per change: 1 written, 0 already applied (a duplicate or older change), -1 missing
-- (an update for an entry the cache does not hold: the caller rebuilds the principal from the
-- events), -2 flushed (the cache was emptied since the caller's epoch: what it read may be
-- older than what was lost, so nothing is written).

-- The numbers of a record this script reads: version, last use, idle timeout, expiry, kept
-- until; the rest of the record is only carried.
local NUMBERS = '<ddddd'
local REST = 41

local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)

local function extend(hash, at)
  if at > 0 and tonumber(redis.call('PEXPIRETIME', hash)) < at then
    redis.call('PEXPIREAT', hash, at)
  end
end

-- The second an entry is counted until: the earlier of its expiry and its idle end, rounded
-- up; none once revoked, or once that second has passed (the counter's reader trims those).
local function ends(record, revoked)
  if not record or revoked then
    return nil
  end
  local _, last_used, idle, expires = struct.unpack(NUMBERS, record)
  local second = math.ceil(math.min(expires, last_used + idle * 1000000) / 1000000)
  if second * 1000 <= now_ms then
    return nil
  end
  return second
end

-- Moves one session's count from the second its old state ended in to its new state's.
local function recount(counts, before, after)
  if before == after then
    return
  end
  if before and redis.call('HINCRBY', counts, before, -1) <= 0 then
    redis.call('HDEL', counts, before)
  end
  if after then
    redis.call('HINCRBY', counts, after, 1)
  end
end

-- Before a put of session `sid`: drops the entries kept past their time (a put is the only
-- write that adds one) and every field of the session's old entry but its record.
local function clear(hash, sid)
  local all = redis.call('HGETALL', hash)
  local ended = {}
  for i = 1, #all, 2 do
    local id = all[i]
    if #id == 16 and select(5, struct.unpack(NUMBERS, all[i + 1])) < now_ms then
      ended[id] = true
    end
  end
  local gone = {}
  for i = 1, #all, 2 do
    local field = all[i]
    local id = string.sub(field, 1, 16)
    if #field >= 16 and (ended[id] or (id == sid and #field > 16)) then
      table.insert(gone, field)
    end
  end
  for i = 1, #gone, 1000 do
    redis.call('HDEL', hash, unpack(gone, i, math.min(i + 999, #gone)))
  end
end

-- Applies an update ("used" or "revoked") to the entry `record` of session `sid`.
local function update(hash, counts, sid, record, version, arg)
  local _, last_used, idle, expires, kept = struct.unpack(NUMBERS, record)
  local revoked = redis.call('HEXISTS', hash, sid .. 'r') == 1
  local before = ends(record, revoked)
  if arg[6] == 'used' then
    last_used = tonumber(arg[7])
  else
    redis.call('HSET', hash, sid .. 'r', arg[7])
    revoked = true
  end
  record = struct.pack(NUMBERS, version, last_used, idle, expires, kept)
    .. string.sub(record, REST)
  redis.call('HSET', hash, sid, record)
  recount(counts, before, ends(record, revoked))
end

-- Puts the entry of session `sid` over its old `record`; answers how long the hash must live.
local function put(hash, counts, sid, record, arg)
  local before = ends(record, record and redis.call('HEXISTS', hash, sid .. 'r') == 1)
  clear(hash, sid)
  local set = {sid, arg[6]}
  if arg[7] ~= '' then
    table.insert(set, sid .. 'r')
    table.insert(set, arg[7])
  end
  for i = 8, #arg do
    table.insert(set, sid .. string.char(48 + i - 8))
    table.insert(set, arg[i])
  end
  redis.call('HSET', hash, unpack(set))
  recount(counts, before, ends(arg[6], arg[7] ~= ''))
  -- The hash lives as long as the principal's longest-kept entry.
  return select(5, struct.unpack(NUMBERS, arg[6]))
end

local function apply(hash, epoch, counts, arg)
  if arg[5] ~= '' and redis.call('GET', epoch) ~= arg[5] then
    return -2
  end
  local version = tonumber(arg[1])
  local mode = arg[2]
  local sid = arg[4]
  local written = 0
  local expire_at = tonumber(arg[3]) or 0
  if mode == 'put' or mode == 'update' then
    local record = redis.call('HGET', hash, sid)
    if not (record and struct.unpack('<d', record) >= version) then
      if mode == 'put' then
        expire_at = put(hash, counts, sid, record, arg)
      elseif record then
        update(hash, counts, sid, record, version, arg)
      else
        return -1
      end
      written = 1
    end
  end
  -- The principal's version says the hash holds every session as of it, so it moves only to
  -- the next version (an event applied in stream order) or to a version claimed whole.
  local applied = tonumber(redis.call('HGET', hash, 'v') or '0')
  if applied == version - 1 or (mode == 'claim' and applied < version) then
    redis.call('HSET', hash, 'v', arg[1])
    if mode == 'advance' or mode == 'claim' then
      written = 1
    end
  end
  extend(hash, expire_at)
  return written
end

local results = {}
local at = 1
for change = 1, #KEYS / 3 do
  local count = tonumber(ARGV[at])
  local arg = {unpack(ARGV, at + 1, at + count)}
  at = at + count + 1
  results[change] = apply(KEYS[change * 3 - 2], KEYS[change * 3 - 1], KEYS[change * 3], arg)
end
return results
