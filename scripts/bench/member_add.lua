-- PATCH /Groups/{GROUP_ID} adding one new member per request (Okta's/Entra's shape), each
-- thread walking its own share of the ids in MEMBERS_FILE.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
local ids
local threads = tonumber(os.getenv("THREADS") or "2")
local next_index

function init(args)
  common.init()
  ids = common.lines(os.getenv("MEMBERS_FILE"))
  next_index = thread_id + 1
end

function request()
  local id = ids[next_index]
  next_index = next_index + threads
  if id == nil then
    wrk.thread:stop()
    id = ids[1]
  end
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":' ..
    '[{"op":"add","path":"members","value":[{"value":"' .. id .. '"}]}]}'
  return wrk.format("PATCH", "/api/scim/Groups/" .. os.getenv("GROUP_ID"), common.headers, body)
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
