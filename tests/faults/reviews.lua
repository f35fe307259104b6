-- SPDX-License-Identifier: Apache-2.0
-- wrk script for the fault and load tests: POSTs AdmissionReviews to
-- /validate, cycling through the bodies named in HP_WRK_BODIES
-- ("kind=path,kind=path,..."; kind is allow, deny or malformed), and checks
-- every answer against its kind: allow is 200 with "allowed":true, deny is
-- 200 with "allowed":false, malformed is 400 with an "invalid JSON" error.
-- Anything else is counted as "other". With HP_WRK_CLOSE=1 every request
-- carries "Connection: close", so each one makes a new TLS handshake. With
-- HP_WRK_LIMIT=N each thread stops after N answers and then creates the file
-- HP_WRK_DONE_DIR/thread-ID, so that the driver knows when to interrupt wrk
-- (wrk itself runs for its whole -d duration). done() prints one line,
-- "hpcounts key=value ...", summed over the threads.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

local reqs = {}
local limit = tonumber(os.getenv("HP_WRK_LIMIT") or "0")
local answered = 0
local next_req = 0
sent_allow, sent_deny, sent_malformed = 0, 0, 0
got_allow, got_deny, got_malformed, got_other = 0, 0, 0, 0
first_other = ""
first_kind = ""

function init(args)
   local headers = { ["Content-Type"] = "application/json" }
   if os.getenv("HP_WRK_CLOSE") == "1" then
      headers["Connection"] = "close"
   end
   for spec in string.gmatch(os.getenv("HP_WRK_BODIES") or "", "[^,]+") do
      local kind, path = string.match(spec, "^(%a+)=(.+)$")
      local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
      local body = f:read("*a")
      f:close()
      table.insert(reqs, { kind = kind, data = wrk.format("POST", "/validate", headers, body) })
   end
   assert(#reqs > 0, "HP_WRK_BODIES names no body")
end

function request()
   next_req = next_req % #reqs + 1
   local r = reqs[next_req]
   if first_kind == "" then first_kind = r.kind end
   _G["sent_" .. r.kind] = _G["sent_" .. r.kind] + 1
   return r.data
end

function response(status, headers, body)
   if status == 200 and string.find(body, '"allowed":true', 1, true) then
      got_allow = got_allow + 1
   elseif status == 200 and string.find(body, '"allowed":false', 1, true) then
      got_deny = got_deny + 1
   elseif status == 400 and string.find(body, '"error":"invalid JSON', 1, true) then
      got_malformed = got_malformed + 1
   else
      got_other = got_other + 1
      if first_other == "" then
         first_other = tostring(status) .. " " .. string.sub(body or "", 1, 120)
      end
   end
   answered = answered + 1
   if limit > 0 and answered == limit then
      local dir = os.getenv("HP_WRK_DONE_DIR")
      if dir then
         local f = io.open(dir .. "/thread-" .. tostring(id), "w")
         if f then f:close() end
      end
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local keys = { "sent_allow", "sent_deny", "sent_malformed",
                  "got_allow", "got_deny", "got_malformed", "got_other" }
   local total = {}
   local other = ""
   for _, k in ipairs(keys) do total[k] = 0 end
   for _, t in ipairs(threads) do
      for _, k in ipairs(keys) do total[k] = total[k] + (t:get(k) or 0) end
      if other == "" then other = t:get("first_other") or "" end
   end
   -- wrk calls request() once in the first thread before the run, to
   -- count the requests it pipelines; that one is never sent.
   if threads[1] and threads[1]:get("first_kind") ~= "" then
      local k = "sent_" .. threads[1]:get("first_kind")
      total[k] = total[k] - 1
   end
   local line = "hpcounts"
   for _, k in ipairs(keys) do line = line .. " " .. k .. "=" .. total[k] end
   line = line .. string.format(" requests=%d duration_us=%d connect_err=%d read_err=%d"
                                .. " write_err=%d timeout_err=%d status_err=%d",
                                summary.requests, summary.duration, summary.errors.connect,
                                summary.errors.read, summary.errors.write,
                                summary.errors.timeout, summary.errors.status)
   line = line .. string.format(" p50_us=%d p99_us=%d", latency:percentile(50),
                                latency:percentile(99))
   print(line)
   if other ~= "" then print("first other answer: " .. other) end
end
