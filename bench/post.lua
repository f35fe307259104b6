-- SPDX-License-Identifier: Apache-2.0
-- wrk script: POSTs AdmissionReview bodies to /validate, cycling through the
-- files given after "--" (bench/run passes a compliant and a violating body,
-- so that half of the requests are denied). Responses other than 2xx are
-- counted by wrk itself ("Non-2xx or 3xx responses"); no response() hook,
-- which would cost the load generator a Lua call per response.
--   wrk ... -s bench/post.lua URL -- BODY.json [BODY.json ...]
local requests = {}
local next_request = 1

function init(args)
  for _, path in ipairs(args) do
    local f = assert(io.open(path, "rb"))
    local body = f:read("*a")
    f:close()
    requests[#requests + 1] = wrk.format("POST", "/validate",
      {["Content-Type"] = "application/json"}, body)
  end
  assert(#requests > 0, "post.lua: give the body files after --")
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end
