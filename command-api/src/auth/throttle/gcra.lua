-- One request against a GCRA bucket (a token bucket kept as one timestamp, the theoretical
-- arrival time): KEYS[1] the bucket, ARGV[1] the interval between requests in µs, ARGV[2] how
-- many may come at once. Answers 0 when the request may go, else the µs to wait. Redis's own
-- clock, so every instance agrees.
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now_us)
if tat < now_us then
  tat = now_us
end
local allowed_at = tat - tolerance
if now_us < allowed_at then
  return allowed_at - now_us
end
local next_tat = tat + interval
-- %d: Redis would write a bare number with 14 digits, losing the µs.
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now_us) / 1000))
return 0
