-- GET /Users?startIndex=R&count=100 at a random start among TOTAL users.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
local total = tonumber(os.getenv("TOTAL") or "100000")

function init(args)
  common.init()
  math.randomseed(os.time() + thread_id * 32452843)
end

function request()
  local start = math.random(math.max(total - 99, 1))
  return wrk.format("GET", "/api/scim/Users?startIndex=" .. start .. "&count=100", common.headers)
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
