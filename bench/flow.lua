-- wrk script for bench.run: one member-flow request per call, results as JSON.
--
--   wrk ... -s bench/flow.lua http://127.0.0.1:PORT -- MODE [FILE] THREADS
--
-- MODE is hello (GET /, the hello-world ceiling), start, email, confirm,
-- complete, send_code (seed 004, a new email per request: FILE is a tag that
-- makes them unique), register (seed 004) or login (POST /v1/sessions). For
-- the others FILE holds one prepared registration per line, "id token arg"
-- (arg: the email for the email step, register and login, the code for
-- confirm, "-" for complete; register's token is verify-email's proof). Thread n of THREADS takes the
-- lines n, n+THREADS, n+2*THREADS, ... so no registration is used by two
-- threads, and walks its share once; past its end it starts over ("reused"),
-- which bench.run reports. done() prints one line: "BENCH_JSON {...}".

local threads = {}
local PASSWORD = "correct horse battery staple"

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local function request_for(mode, id, token, arg)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }
  local base = "/v1/registrations/" .. id
  if mode == "email" then
    return wrk.format("POST", base .. "/steps/email", headers, '{"email":"' .. arg .. '"}')
  elseif mode == "confirm" then
    local path = base .. "/verifications/email/confirm"
    return wrk.format("POST", path, headers, '{"code":"' .. arg .. '"}')
  elseif mode == "complete" then
    return wrk.format("POST", base .. "/complete", headers, "")
  elseif mode == "register" then
    local json = { ["Content-Type"] = "application/json" }
    local body = '{"email":"' .. arg .. '","password":"' .. PASSWORD
      .. '","verification_token":"' .. token
      .. '","name":"Ada Lovelace","company_name":"Bench ' .. arg:match("^[^@]+") .. '"}'
    return wrk.format("POST", "/auth/register", json, body)
  elseif mode == "login" then
    local json = { ["Content-Type"] = "application/json" }
    local body = '{"email":"' .. arg .. '","password":"' .. PASSWORD .. '"}'
    return wrk.format("POST", "/v1/sessions", json, body)
  end
  error("unknown mode " .. tostring(mode))
end

function init(args)
  mode = args[1]
  issued = 0
  reused = 0
  statuses = {}
  prepared = {}
  share = 0
  if mode == "start" then
    local body = '{"flow":"member"}'
    local headers = { ["Content-Type"] = "application/json" }
    prepared[1] = wrk.format("POST", "/v1/registrations", headers, body)
    return
  elseif mode == "hello" then
    prepared[1] = wrk.format("GET", "/")
    return
  elseif mode == "send_code" then
    tag = args[2] .. "-" .. tid
    return
  end
  local nthreads = tonumber(args[3])
  local index = 0
  for line in io.lines(args[2]) do
    if index % nthreads == tid - 1 then
      local id, token, arg = line:match("^(%S+)%s+(%S+)%s+(%S+)$")
      if id then
        table.insert(prepared, request_for(mode, id, token, arg))
      end
    end
    index = index + 1
  end
  if #prepared == 0 then
    error("thread " .. tid .. " has no prepared registrations in " .. args[2])
  end
  share = #prepared
end

function request()
  issued = issued + 1
  if mode == "send_code" then
    local body = '{"email":"sc-' .. tag .. '-' .. issued .. '@example.com"}'
    local headers = { ["Content-Type"] = "application/json" }
    return wrk.format("POST", "/auth/send-verification-code", headers, body)
  end
  if mode ~= "start" and mode ~= "hello" and issued > share then
    reused = reused + 1
  end
  return prepared[(issued - 1) % #prepared + 1]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  local prepared_total, issued_total, reused_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      merged[status] = (merged[status] or 0) + count
    end
    prepared_total = prepared_total + (thread:get("share") or 0)
    issued_total = issued_total + (thread:get("issued") or 0)
    reused_total = reused_total + (thread:get("reused") or 0)
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"statuses":{%s},"prepared":%d,"issued":%d,"reused":%d,'
      .. '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ","), prepared_total, issued_total, reused_total,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max
  ))
end
