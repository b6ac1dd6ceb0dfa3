-- Agent presence. ARGV: op, now, agent, then per op:
--   profile name endpoint pools skills(json) languages groups auto_login
--   remove | login | logout | unpause | wrapup_done
--   release front|detach   (a reservation nobody rang: agent free, call front or detached)
--   pause reason | device registered(1/0) [instance: that box's Asterisk says so]
--   orphan engine force(1/0)  (the agent's call belongs to ``engine``, which is dead
--                              (its heartbeat key is gone) or, force, restarted and
--                              without that call: the agent is freed, a ringing call
--                              detached for its engine to claim)
--   adopt engine call          (a restarted engine adopted the agent's talking call)
--   resume reason paused_at   (a failed offer's pause ends, unless changed since)
-- Returns {ok (1/0), state}.
local op, now, aid = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local k = akey(aid)
local state = redis.call('HGET', k, 'state')
local function ok(s) return {1, s} end
local function refused() return {0, state or 'unknown'} end

if op == 'profile' then
  local old = split(redis.call('HGET', k, 'pools'), ' ')
  for _, p in ipairs(old) do redis.call('ZREM', P .. ':pool:' .. p, aid) end
  for _, f in ipairs(redis.call('HKEYS', k)) do
    if string.sub(f, 1, 3) == 'sk:' then redis.call('HDEL', k, f) end
  end
  redis.call('HSET', k, 'id', aid, 'name', ARGV[4], 'endpoint', ARGV[5], 'pools', ARGV[6],
             'languages', ARGV[8], 'groups', ARGV[9], 'skills', ARGV[7])
  for skill, level in pairs(cjson.decode(ARGV[7])) do redis.call('HSET', k, 'sk:' .. skill, level) end
  redis.call('SADD', P .. ':agents', aid)
  if not state then
    redis.call('HSET', k, 'busy_total', 0, 'login_at', now, 'handled', 0)
    state = set_state(aid, ARGV[10] == '1' and 'available' or 'logged_out', now, '')
  end
  sync_pools(aid)
  return ok(state)
end
if not state then return {0, 'unknown'} end
if op == 'remove' then
  for _, p in ipairs(split(redis.call('HGET', k, 'pools'), ' ')) do
    redis.call('ZREM', P .. ':pool:' .. p, aid)
  end
  redis.call('HSET', k, 'pools', '')
  redis.call('SREM', P .. ':agents', aid)
  if not BUSY[state] then set_state(aid, 'logged_out', now, 'removed') end
  return ok(redis.call('HGET', k, 'state'))
elseif op == 'login' then
  if state ~= 'logged_out' then return refused() end
  redis.call('HSET', k, 'busy_total', 0, 'login_at', now, 'handled', 0, 'pause_after', '')
  return ok(set_state(aid, 'available', now, ''))
elseif op == 'logout' then
  redis.call('HSET', k, 'pause_after', '')
  return ok(set_state(aid, 'logged_out', now, ARGV[4] or ''))
elseif op == 'pause' then
  if state == 'logged_out' then return refused() end
  if state == 'ringing' or state == 'on_call' then
    redis.call('HSET', k, 'pause_after', ARGV[4])
    return ok(state)
  end
  return ok(set_state(aid, 'paused', now, ARGV[4]))
elseif op == 'unpause' then
  redis.call('HSET', k, 'pause_after', '')
  if state ~= 'paused' then return refused() end
  return ok(set_state(aid, 'available', now, ''))
elseif op == 'resume' then
  local paused = redis.call('HMGET', k, 'reason', 'since')
  if state ~= 'paused' or paused[1] ~= ARGV[4] or tonumber(paused[2]) ~= tonumber(ARGV[5]) then
    return refused()
  end
  redis.call('HSET', k, 'pause_after', '')
  return ok(set_state(aid, 'available', now, ''))
elseif op == 'device' then
  if ARGV[5] and ARGV[5] ~= '' then
    set_registration(aid, ARGV[5], ARGV[4])
  else
    redis.call('HSET', k, 'registered', ARGV[4])
  end
  sync_pools(aid)
  return ok(state)
elseif op == 'wrapup_done' then
  if state ~= 'wrapup' or tonumber(redis.call('HGET', k, 'wrapup_until')) > now then
    return refused()
  end
  return ok(after_call(aid, now, 0))
elseif op == 'release' then
  if state ~= 'ringing' then return refused() end
  local cid = redis.call('HGET', k, 'call')
  if cid and cid ~= '' and redis.call('HGET', ckey(cid), 'agent') == aid then
    if ARGV[4] == 'detach' then
      detach(cid, now)
    else
      enlane(cid, '1', tonumber(redis.call('HGET', ckey(cid), 'queued_at')))
    end
  end
  return ok(set_state(aid, 'available', now, '', redis.call('HGET', k, 'idle_since')))
elseif op == 'orphan' then
  local engine = ARGV[4]
  if (state ~= 'ringing' and state ~= 'on_call') or redis.call('HGET', k, 'engine') ~= engine
     or (ARGV[5] ~= '1' and redis.call('EXISTS', P .. ':alive:' .. engine) == 1) then
    return refused()
  end
  local cid = redis.call('HGET', k, 'call')
  redis.call('HSET', k, 'engine', '')
  if state == 'ringing' then
    if cid and cid ~= '' and redis.call('HGET', ckey(cid), 'agent') == aid then detach(cid, now) end
    return ok(set_state(aid, 'available', now, '', redis.call('HGET', k, 'idle_since')))
  end
  redis.call('HINCRBY', k, 'handled', 1)
  return ok(after_call(aid, now, 0))
elseif op == 'adopt' then
  if BUSY[state] and state ~= 'wrapup' and redis.call('HGET', k, 'call') ~= ARGV[5] then
    return refused()
  end
  set_state(aid, 'on_call', now, '')
  redis.call('HSET', k, 'call', ARGV[5], 'engine', ARGV[4])
  return ok('on_call')
end
return redis.error_reply('unknown op ' .. op)
