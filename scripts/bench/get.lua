-- GET /Users/{id} for random ids of the loaded users.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
local ids

function init(args)
  common.init()
  ids = common.lines(os.getenv("IDS_FILE"))
  math.randomseed(os.time() + thread_id * 7919)
end

function request()
  return wrk.format("GET", "/api/scim/Users/" .. ids[math.random(#ids)], common.headers)
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
