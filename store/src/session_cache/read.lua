-- Reads the session cache in one step (a flush or an expiry in between cannot make a partial
-- answer look whole), but only from the Redis instance the live generation was filled in: a
-- restarted Redis (its run_id is new at every start) may hold an older snapshot, with sessions
-- that were revoked since. The caller then reads the event store instead.
-- ARGV[1]  the run_id readers trust ("" for none)
-- ARGV[2]  "entry": the parts of session ARGV[3] (its 16-byte id) in the principal's hash
--          KEYS[1]; "version": the principal's version in its hash KEYS[1]; "sessions": the
--          principal's whole hash KEYS[1]; "grants": the principal's grants hash (KEYS[1]) and
--          the hash of each role it lists, each key being ARGV[3] .. role id; "access": for
--          each pair of keys (a principal's hash, then its grants), the parts of session
--          ARGV[3 + n] (the n-th pair's) and the grants as "grants" reads them, in one step:
--          what authenticating bearer tokens reads
-- Returns -1 when the instance is not the trusted one; else what was asked for ("entry": the
-- record, the revocation reason and the pieces of the texts, nil each where absent (see
-- entry.rs);
-- "sessions": the hash's fields and values, empty if the cache holds nothing of the
-- principal; "grants": nil if the cache holds no grants of the principal, else {its fields,
-- then each role's fields (empty if missing)}; "access": for each pair, {the session's parts
-- as "entry" reads them, the grants as "grants" answers them or {} for none}).
-- A plain search for the whole line: a pattern match over INFO's ~1 KB of text took ~2 µs of
-- the ~21 µs an introspection's read costs Redis.
if ARGV[1] == '' or not string.find(redis.call('INFO', 'server'), 'run_id:' .. ARGV[1] .. '\r\n', 1, true) then
  return -1
end
-- The record, the reason and the pieces of the texts of session `id`, up to the first piece
-- the hash lacks (see entry.rs).
local function entry(hash, id)
  local out = redis.call('HMGET', hash, id, id .. 'r', id .. '0', id .. '1')
  while out[#out] do
    table.insert(out, redis.call('HGET', hash, id .. string.char(48 + #out - 2)))
  end
  return out
end
if ARGV[2] == 'entry' then
  return entry(KEYS[1], ARGV[3])
end
if ARGV[2] == 'version' then
  return redis.call('HGET', KEYS[1], 'v')
end
if ARGV[2] == 'sessions' then
  return redis.call('HGETALL', KEYS[1])
end
local function grants(key)
  local principal = redis.call('HGETALL', key)
  if #principal == 0 then
    return nil
  end
  local out = {principal}
  local roles = redis.call('HGET', key, 'roles') or ''
  for id in string.gmatch(roles, '[^,]+') do
    table.insert(out, redis.call('HGETALL', ARGV[3] .. id))
  end
  return out
end
if ARGV[2] == 'grants' then
  return grants(KEYS[1])
end
local out = {}
for i = 1, #KEYS, 2 do
  table.insert(out, {entry(KEYS[i], ARGV[3 + (i + 1) / 2]), grants(KEYS[i + 1]) or {}})
end
return out
