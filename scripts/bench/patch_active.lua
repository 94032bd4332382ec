-- PATCH /Users/{id} deactivating or reactivating random users (Okta's shape).
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
local ids

function init(args)
  common.init()
  ids = common.lines(os.getenv("IDS_FILE"))
  math.randomseed(os.time() + thread_id * 15485863)
end

function request()
  local active = math.random(2) == 1 and "true" or "false"
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":' ..
    '[{"op":"replace","value":{"active":' .. active .. '}}]}'
  return wrk.format("PATCH", "/api/scim/Users/" .. ids[math.random(#ids)], common.headers, body)
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
