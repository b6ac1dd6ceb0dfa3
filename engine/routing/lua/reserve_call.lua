-- An agent looks for the best waiting call. ARGV: now, agent, ring deadline, JSON
-- {cut = {["queue|tier"] = wait from which this agent qualifies}, qb/tb/rb = boosts
-- by queue/tier/risk, langs = agent languages, aging}. Only the lanes indexed under the
-- agent's queue|tier|language keys are looked at; lanes of dead engines, and of boxes
-- that cannot reach this agent's phone (excluded, common.lua), are skipped.
-- The winner: smallest queued_at - boost / aging, i.e. the highest priority score.
local now, aid, deadline = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local a = redis.call('HMGET', akey(aid), 'state', 'registered')
if a[1] ~= 'available' or a[2] == '0' then return false end
local cfg = cjson.decode(ARGV[4])
local langs = {}
for _, l in ipairs(cfg.langs) do langs[l] = true end
local alive, barred = {}, {}
local best, bv = nil, nil
local function consider(index, lane, cut)
  local f = split(lane, '|')  -- queue, language, tier, risk, front, owner
  if alive[f[6]] == nil then
    alive[f[6]] = redis.call('EXISTS', P .. ':alive:' .. f[6]) == 1
    barred[f[6]] = excluded(aid, f[6], now)
  end
  local head = redis.call('ZRANGE', lkey(lane), 0, 0, 'WITHSCORES')
  if not head[1] then
    redis.call('SREM', index, lane)
    redis.call('SREM', P .. ':lanes', lane)
  elseif alive[f[6]] and not barred[f[6]] and tonumber(head[2]) <= now - cut then
    local b = (cfg.qb[f[1]] or 0) + (cfg.tb[f[3]] or 0) + (cfg.rb[f[4]] or 0)
    if f[5] == '1' then b = b + FRONT end
    local v = tonumber(head[2]) - b / cfg.aging
    if not best or v < bv or (v == bv and head[1] < best) then best, bv = head[1], v end
  end
end
for qt, cut in pairs(cfg.cut) do
  for lang in pairs(langs) do
    local index = P .. ':lanes:' .. qt .. '|' .. lang
    for _, lane in ipairs(redis.call('SMEMBERS', index)) do consider(index, lane, cut) end
  end
end
if not best then return false end
return reserve(aid, best, now, deadline)
