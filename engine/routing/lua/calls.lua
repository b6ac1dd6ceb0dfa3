-- Call lifecycle. ARGV: op, now, call, then per op:
--   enqueue base owner queue day topic caller arrived_at -> {state, queued_at}
--   requeue agent reason [box until]  (ring failed: call to the front; the agent paused,
--                              or, with ``box``, kept from that box's offers until
--                              ``until`` and free for the others) -> {requeued 1/0, agent state}
--   connected agent day sl_seconds
--   ended agent wrapup_until   (agent to wrap-up; a never-answered offer frees it)
--   cancel day                 (caller hung up while waiting or ringing) -> freed agent
--   detach                     (waiting call of a restarted engine)
local op, now, cid = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local k = ckey(cid)
local state = redis.call('HGET', k, 'state')

local function stats(queue, d) return P .. ':stats:' .. queue .. ':' .. d end

local function owns(aid)
  local a = redis.call('HMGET', akey(aid), 'state', 'call')
  return (a[1] == 'ringing' or a[1] == 'on_call') and a[2] == cid, a[1]
end

if op == 'enqueue' then
  local base, owner, queue, d = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
  if state == 'offered' then
    redis.call('HSET', k, 'owner', owner)
    return {'offered', redis.call('HGET', k, 'queued_at')}
  end
  local queued = tonumber(redis.call('HGET', k, 'queued_at')) or now
  local front = redis.call('HGET', k, 'front') or '0'
  if state then
    unlane(cid)
    redis.call('ZREM', P .. ':detached', cid)
    redis.call('ZREM', P .. ':waiting:' .. redis.call('HGET', k, 'queue'), cid)
  else
    redis.call('HINCRBY', stats(queue, d), 'entered', 1)
    redis.call('EXPIRE', stats(queue, d), 172800)
  end
  redis.call('HSET', k, 'base', base, 'owner', owner, 'queue', queue, 'topic', ARGV[8],
             'caller', ARGV[9], 'arrived_at', ARGV[10], 'queued_at', queued,
             'lang', split(base, '|')[2], 'tier', split(base, '|')[3])
  enlane(cid, front, queued)
  redis.call('ZADD', P .. ':waiting:' .. queue, queued, cid)
  return {'waiting', tostring(queued)}
elseif op == 'requeue' then
  local aid, reason, box = ARGV[4], ARGV[5], ARGV[6] or ''
  local ak = akey(aid)
  local mine, astate = owns(aid)
  if box ~= '' and redis.call('EXISTS', ak) == 1 then
    -- drop expired exclusions, then exclude the agent from this box's offers
    for _, f in ipairs(redis.call('HKEYS', ak)) do
      if string.sub(f, 1, 2) == 'x:' and not excluded(aid, string.sub(f, 3), now) then
        redis.call('HDEL', ak, f)
      end
    end
    redis.call('HSET', ak, 'x:' .. box, ARGV[7] .. '|' .. reason)
    if mine then
      local pause = redis.call('HGET', ak, 'pause_after')
      if pause and pause ~= '' then
        redis.call('HSET', ak, 'pause_after', '')
        astate = set_state(aid, 'paused', now, pause)
      else
        astate = set_state(aid, 'available', now, '', redis.call('HGET', ak, 'idle_since'))
      end
    end
  elseif mine then
    astate = set_state(aid, 'paused', now, reason)
  end
  local back = 0
  if state == 'offered' and redis.call('HGET', k, 'agent') == aid then
    enlane(cid, '1', tonumber(redis.call('HGET', k, 'queued_at')))
    back = 1
  end
  return {back, mine and astate or ''}
elseif op == 'connected' then
  local aid = ARGV[4]
  if owns(aid) then set_state(aid, 'on_call', now, ''); redis.call('HSET', akey(aid), 'call', cid) end
  if state then
    local s = stats(redis.call('HGET', k, 'queue'), ARGV[5])
    local wait = now - tonumber(redis.call('HGET', k, 'queued_at'))
    redis.call('HINCRBY', s, 'answered', 1)
    redis.call('HINCRBYFLOAT', s, 'wait_total', wait)
    if wait <= tonumber(ARGV[6]) then redis.call('HINCRBY', s, 'in_sl', 1) end
    redis.call('EXPIRE', s, 172800)
    drop_call(cid)
  end
  return 1
elseif op == 'ended' then
  local aid, wrapup_until = ARGV[4], tonumber(ARGV[5])
  local mine, astate = owns(aid)
  local never_answered = state == 'offered' and redis.call('HGET', k, 'agent') == aid
  if never_answered then drop_call(cid) end
  if not mine then return astate or false end
  if astate == 'ringing' then
    return set_state(aid, 'available', now, '', redis.call('HGET', akey(aid), 'idle_since'))
  end
  redis.call('HINCRBY', akey(aid), 'handled', 1)
  return after_call(aid, now, wrapup_until)
elseif op == 'cancel' then
  if not state then return false end
  local freed = ''
  if state == 'offered' then
    local aid = redis.call('HGET', k, 'agent')
    if owns(aid) then
      set_state(aid, 'available', now, '', redis.call('HGET', akey(aid), 'idle_since'))
      freed = aid
    end
  end
  local s = stats(redis.call('HGET', k, 'queue'), ARGV[4])
  redis.call('HINCRBY', s, 'abandoned', 1)
  redis.call('EXPIRE', s, 172800)
  drop_call(cid)
  return freed
elseif op == 'detach' then
  if state ~= 'waiting' then return false end
  detach(cid, now)
  return 1
end
return redis.error_reply('unknown op ' .. op)
