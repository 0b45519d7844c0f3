-- Reads the session cache in one step (a flush or an expiry in between cannot make a partial
-- answer look whole), but only from the Redis instance the live generation was filled in: a
-- restarted Redis (its run_id is new at every start) may hold an older snapshot, with sessions
-- that were revoked since. The caller then reads the event store instead.
-- ARGV[1]  the run_id readers trust ("" for none)
-- ARGV[2]  "entry": the hash KEYS[1]; "version": the principal's version in its index
--          KEYS[1]; "sessions": the principal's version and the hash of each session id in
--          its index (KEYS[1]), each hash's key being ARGV[3] .. id; "grants": the
--          principal's grants hash (KEYS[1]) and the hash of each role it lists, each key
--          being ARGV[3] .. role id; "access": for each pair of keys (a session's hash, then
--          its principal's grants), the session and the grants as "grants" reads them, in one
--          step: what authenticating bearer tokens reads
-- Returns -1 when the instance is not the trusted one; else what was asked for ("sessions":
-- nil if the cache holds nothing of the principal, else {version, id1, {field, value, ...},
-- id2, {...}, ...}; ids whose entry expired are left out; "grants": nil if the cache holds
-- no grants of the principal, else {its fields, then each role's fields (empty if missing)};
-- "access": for each pair, {the session's fields, the grants as "grants" answers them or {}
-- for none}).
local server = redis.call('INFO', 'server')
if ARGV[1] == '' or string.match(server, 'run_id:(%x+)') ~= ARGV[1] then
  return -1
end
if ARGV[2] == 'entry' then
  return redis.call('HGETALL', KEYS[1])
end
if ARGV[2] == 'version' then
  return redis.call('HGET', KEYS[1], 'v')
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
if ARGV[2] == 'access' then
  local out = {}
  for i = 1, #KEYS, 2 do
    table.insert(out, {redis.call('HGETALL', KEYS[i]), grants(KEYS[i + 1]) or {}})
  end
  return out
end
local index = redis.call('HGETALL', KEYS[1])
local out = {false}
for i = 1, #index, 2 do
  local id = index[i]
  if id == 'v' then
    out[1] = index[i + 1]
  else
    local fields = redis.call('HGETALL', ARGV[3] .. id)
    if #fields > 0 then
      table.insert(out, id)
      table.insert(out, fields)
    end
  end
end
if not out[1] then
  return nil
end
return out
