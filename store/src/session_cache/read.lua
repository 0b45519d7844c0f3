-- Reads a principal's cached sessions in one step, so a flush or an expiry in between cannot
-- make a partial answer look whole.
-- KEYS[1]  the principal's applied stream version
-- KEYS[2]  the principal's set of session ids
-- ARGV[1]  the prefix of session keys (followed by the session id)
-- Returns nil when the cache holds nothing of the principal, else
-- {version, id1, {field, value, ...}, id2, {...}, ...}; ids whose entry expired are left out.
local version = redis.call('GET', KEYS[1])
if not version then
  return nil
end
local out = {version}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local fields = redis.call('HGETALL', ARGV[1] .. id)
  if #fields > 0 then
    table.insert(out, id)
    table.insert(out, fields)
  end
end
return out
