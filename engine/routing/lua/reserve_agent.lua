-- A call looks for an agent. ARGV: now, call, ring deadline, K, n extra skills,
-- (skill, min)..., n tiers, then per tier: n pools, pool names...
-- Within a tier the agent idle longest wins; tiers are tried best first. Agents the
-- call's box cannot reach (excluded, common.lua) are passed over.
local now, cid, deadline, K = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local c = redis.call('HMGET', ckey(cid), 'state', 'owner')
if c[1] ~= 'waiting' then return false end
local owner = c[2]
local i = 5
local extra = {}
for _ = 1, tonumber(ARGV[i]) do
  extra[#extra + 1] = {ARGV[i + 1], tonumber(ARGV[i + 2])}
  i = i + 2
end
i = i + 1
local function eligible(aid)
  if excluded(aid, owner, now) then return false end
  for _, e in ipairs(extra) do
    if (tonumber(redis.call('HGET', akey(aid), 'sk:' .. e[1])) or 0) < e[2] then return false end
  end
  return true
end
-- The pool's first eligible agent: without extra skills the head nearly always is; when
-- it is excluded for this box, the next K are looked at.
local function first(pool)
  local items = redis.call('ZRANGE', pool, 0, (#extra > 0) and (K - 1) or 0, 'WITHSCORES')
  for x = 1, #items, 2 do
    if eligible(items[x]) then return items[x], tonumber(items[x + 1]) end
  end
  if #extra == 0 and #items > 0 then
    items = redis.call('ZRANGE', pool, 1, K - 1, 'WITHSCORES')
    for x = 1, #items, 2 do
      if eligible(items[x]) then return items[x], tonumber(items[x + 1]) end
    end
  end
  return nil, nil
end
local ntiers = tonumber(ARGV[i])
i = i + 1
for _ = 1, ntiers do
  local n = tonumber(ARGV[i])
  i = i + 1
  local best, bscore = nil, nil
  for j = 0, n - 1 do
    local aid, s = first(P .. ':pool:' .. ARGV[i + j])
    if aid and (not best or s < bscore or (s == bscore and aid < best)) then
      best, bscore = aid, s
    end
  end
  i = i + n
  if best then return reserve(best, cid, now, deadline) end
end
return false
