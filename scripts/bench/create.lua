-- POST /Users with unique Okta-shaped users; stops each thread after LIMIT/THREADS requests
-- when LIMIT is set (the 100,000-user load), else runs for wrk's duration.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup

local prefix = os.getenv("RUN_PREFIX") or "bench"
local limit = tonumber(os.getenv("LIMIT") or "0")
local threads = tonumber(os.getenv("THREADS") or "2")
local per_thread = limit > 0 and limit / threads or nil
local sent = 0

function init(args)
  common.init()
end

function response(status, headers, body)
  common.count(status, per_thread)
end

done = common.done

function request()
  sent = sent + 1
  local n = thread_id .. "-" .. sent
  local name = prefix .. "-" .. n .. "@example.com"
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","name":{"givenName":"Bench","familyName":"User ' .. n .. '"},"displayName":"Bench User ' .. n ..
    '","emails":[{"value":"' .. name .. '","type":"work","primary":true}],"locale":"en-US",' ..
    '"externalId":"' .. prefix .. n .. '","groups":[],"active":true}'
  return wrk.format("POST", "/api/scim/Users", common.headers, body)
end
