-- GET /Users?filter=userName eq "…" (Okta's exists check) for random loaded user names, in a
-- different case than stored.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
local names

function init(args)
  common.init()
  names = common.lines(os.getenv("NAMES_FILE"))
  math.randomseed(os.time() + thread_id * 104729)
end

function request()
  local name = string.upper(names[math.random(#names)]):gsub("@", "%%40")
  return wrk.format("GET", "/api/scim/Users?filter=userName%20eq%20%22" .. name .. "%22&startIndex=1&count=100",
    common.headers)
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
