-- Shared by every routing script (prepended by engine/routing/store.py).
-- KEYS[1] is the key prefix. Agent hash fields: state, reason, since, idle_since,
-- registered ('0' = phone not registered), pools (space separated), call, sk:<skill>,
-- busy_since, busy_total, login_at, wrapup_until, pause_after, engine (the instance_id
-- whose call the agent is reserved for or talking on: released when it dies), home
-- (the instance_id of the box the phone is registered on, from <prefix>:reg:<agent>),
-- x:<instance> = '<until>|<reason>' (that box could not reach the phone: no offers for
-- its calls until then; engine/routing/failures.py says which failures do that).
local P = KEYS[1]
local FRONT = 1000000.0
local BUSY = {ringing = true, on_call = true, wrapup = true}

local function akey(id) return P .. ':agent:' .. id end
local function ckey(id) return P .. ':call:' .. id end
local function lkey(name) return P .. ':lane:' .. name end

local function split(s, sep)
  local out = {}
  if not s or s == '' then return out end
  for part in string.gmatch(s, '([^' .. sep .. ']+)') do out[#out + 1] = part end
  return out
end

-- An agent is in its pools exactly when available with a phone not known unregistered.
local function sync_pools(id)
  local a = redis.call('HMGET', akey(id), 'state', 'registered', 'pools', 'idle_since')
  local on = a[1] == 'available' and a[2] ~= '0'
  for _, p in ipairs(split(a[3], ' ')) do
    if on then
      redis.call('ZADD', P .. ':pool:' .. p, tonumber(a[4]) or 0, id)
    else
      redis.call('ZREM', P .. ':pool:' .. p, id)
    end
  end
end

-- Registration per box: <prefix>:reg:<agent> holds instance_id -> '1'/'0' as each
-- engine's Asterisk reports the phone. The agent is registered when a live box has it;
-- that box is its home (the one it is, if still good), where its calls are dialled.
local function set_registration(id, instance, registered)
  local rk = P .. ':reg:' .. id
  redis.call('HSET', rk, instance, registered)
  local home = redis.call('HGET', akey(id), 'home')
  local pairs_ = redis.call('HGETALL', rk)
  local first = nil
  for i = 1, #pairs_, 2 do
    if pairs_[i + 1] == '1' and redis.call('EXISTS', P .. ':alive:' .. pairs_[i]) == 1 then
      if pairs_[i] == home then first = home break end
      first = first or pairs_[i]
    end
  end
  redis.call('HSET', akey(id), 'registered', first and '1' or '0', 'home', first or '')
  return first ~= nil
end

-- The dial string of an agent's phone for a call owned by ``owner``: a PJSIP phone
-- registered on another box is reached through the trunk to that box (its endpoint
-- is named after the box's instance_id: PJSIP/<ext>@<home>).
local function dial_string(id, owner)
  local a = redis.call('HMGET', akey(id), 'endpoint', 'home')
  local endpoint, home = a[1] or '', a[2] or ''
  if home ~= '' and home ~= owner and string.sub(endpoint, 1, 6) == 'PJSIP/'
     and not string.find(endpoint, '@', 1, true) then
    return endpoint .. '@' .. home
  end
  return endpoint
end

-- Box ``box`` could not reach the agent's phone: none of its calls go to them until
-- ``x:<box>`` (set by the requeue op of calls.lua) expires.
local function excluded(id, box, now)
  local x = redis.call('HGET', akey(id), 'x:' .. (box or ''))
  if not x then return false end
  local untl = tonumber(string.match(x, '^[^|]+'))
  return untl ~= nil and untl > now
end

-- Every state change goes through here: occupancy counters, timers, pools.
local function set_state(id, state, now, reason, idle)
  local k = akey(id)
  local old = redis.call('HGET', k, 'state')
  if BUSY[old] and not BUSY[state] then
    local since = tonumber(redis.call('HGET', k, 'busy_since')) or now
    redis.call('HINCRBYFLOAT', k, 'busy_total', now - since)
  elseif BUSY[state] and not BUSY[old] then
    redis.call('HSET', k, 'busy_since', now)
  end
  redis.call('HSET', k, 'state', state, 'since', now, 'reason', reason or '')
  if state == 'available' then redis.call('HSET', k, 'idle_since', idle or now) end
  if state ~= 'wrapup' then redis.call('ZREM', P .. ':wrapup', id) end
  if state ~= 'ringing' then redis.call('ZREM', P .. ':ringing', id) end
  if not BUSY[state] then redis.call('HSET', k, 'call', '') end
  sync_pools(id)
  return state
end

-- After a call: wrap-up, then available, or paused when a pause was asked during it.
local function after_call(id, now, wrapup_until)
  local pause = redis.call('HGET', akey(id), 'pause_after')
  if wrapup_until > now then
    set_state(id, 'wrapup', now, '')
    redis.call('HSET', akey(id), 'wrapup_until', wrapup_until)
    redis.call('ZADD', P .. ':wrapup', wrapup_until, id)
    return 'wrapup'
  end
  if pause and pause ~= '' then
    redis.call('HSET', akey(id), 'pause_after', '')
    return set_state(id, 'paused', now, pause)
  end
  return set_state(id, 'available', now, '')
end

local function call_lane(cid, front)
  local c = redis.call('HMGET', ckey(cid), 'base', 'owner')
  return c[1] .. '|' .. front .. '|' .. c[2]
end

-- Lanes are indexed by queue|tier|language, what an agent's eligibility depends on.
local function lane_index(lane)
  local f = split(lane, '|')  -- queue, language, tier, risk, front, owner
  return P .. ':lanes:' .. f[1] .. '|' .. f[3] .. '|' .. f[2]
end

local function enlane(cid, front, score)
  local lane = call_lane(cid, front)
  redis.call('ZADD', lkey(lane), score, cid)
  redis.call('SADD', P .. ':lanes', lane)
  redis.call('SADD', lane_index(lane), lane)
  redis.call('HSET', ckey(cid), 'lane', lane, 'front', front, 'state', 'waiting', 'agent', '')
end

local function unlane(cid)
  local lane = redis.call('HGET', ckey(cid), 'lane')
  if lane and lane ~= '' then redis.call('ZREM', lkey(lane), cid) end
  redis.call('HSET', ckey(cid), 'lane', '')
end

-- Forget a call that ended, was answered or was abandoned.
local function drop_call(cid)
  local q = redis.call('HGET', ckey(cid), 'queue')
  unlane(cid)
  if q then redis.call('ZREM', P .. ':waiting:' .. q, cid) end
  redis.call('ZREM', P .. ':detached', cid)
  redis.call('DEL', ckey(cid))
end

-- The call's engine does not know it (it restarted): keep it out of every lane until
-- that engine enqueues it again (same place) or a grace period ends (abandoned).
local function detach(cid, now)
  unlane(cid)
  redis.call('HSET', ckey(cid), 'state', 'detached', 'agent', '')
  redis.call('ZADD', P .. ':detached', now, cid)
end

local function reserve(aid, cid, now, deadline)
  unlane(cid)
  redis.call('HSET', ckey(cid), 'state', 'offered', 'agent', aid, 'offered_at', now)
  set_state(aid, 'ringing', now, '')
  redis.call('HSET', akey(aid), 'call', cid, 'engine', redis.call('HGET', ckey(cid), 'owner'))
  redis.call('ZADD', P .. ':ringing', deadline, aid)
  local c = redis.call('HMGET', ckey(cid), 'owner', 'queue', 'lang', 'topic', 'queued_at',
                       'tier')
  return {aid, cid, dial_string(aid, c[1]), c[1], c[2], c[3], c[4] or '', c[5], c[6]}
end
