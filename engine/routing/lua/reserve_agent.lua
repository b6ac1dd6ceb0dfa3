-- A call looks for an agent. ARGV: now, call, ring deadline, K, n extra skills,
-- (skill, min)..., n tiers, then per tier: n pools, pool names...
-- Within a tier the agent idle longest wins; tiers are tried best first.
local now, cid, deadline, K = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('HGET', ckey(cid), 'state') ~= 'waiting' then return false end
local i = 5
local extra = {}
for _ = 1, tonumber(ARGV[i]) do
  extra[#extra + 1] = {ARGV[i + 1], tonumber(ARGV[i + 2])}
  i = i + 2
end
i = i + 1
local function has_extra(aid)
  for _, e in ipairs(extra) do
    if (tonumber(redis.call('HGET', akey(aid), 'sk:' .. e[1])) or 0) < e[2] then return false end
  end
  return true
end
local ntiers = tonumber(ARGV[i])
i = i + 1
for _ = 1, ntiers do
  local n = tonumber(ARGV[i])
  i = i + 1
  local best, bscore = nil, nil
  for j = 0, n - 1 do
    local pool = P .. ':pool:' .. ARGV[i + j]
    local items = redis.call('ZRANGE', pool, 0, (#extra > 0) and (K - 1) or 0, 'WITHSCORES')
    for x = 1, #items, 2 do
      if #extra == 0 or has_extra(items[x]) then
        local s = tonumber(items[x + 1])
        if not best or s < bscore or (s == bscore and items[x] < best) then
          best, bscore = items[x], s
        end
        break
      end
    end
  end
  i = i + n
  if best then return reserve(best, cid, now, deadline) end
end
return false
