-- Shared by the wrk scripts of scripts/bench-server.sh: the bearer token, per-thread ids and
-- a reader for the id/name lists the setup step writes.
local common = {}

common.headers = {
  ["Authorization"] = "Bearer " .. (os.getenv("SCIM_TOKEN") or ""),
  ["Content-Type"] = "application/scim+json",
}

common.threads = {}

-- Gives each wrk thread a distinct number (`thread_id`) for unique names and partitions.
function common.setup(thread)
  thread:set("thread_id", #common.threads)
  table.insert(common.threads, thread)
end

-- A monotonic clock in seconds (LuaJIT FFI: wrk's own timing covers its whole duration, even
-- after threads stop early).
local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *ts);
]])
function common.now()
  local ts = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

function common.lines(path)
  local out = {}
  for line in io.lines(path) do
    out[#out + 1] = line
  end
  return out
end


-- Per-thread counters (globals, so done() can read them with thread:get): when the thread
-- started, when its last answer came, how many answers and how many 2xx.
function common.init()
  started = common.now()
  finished = started
  answered = 0
  succeeded = 0
end

-- Counts an answer; with `limit` (answers per thread), stops the thread when it is reached.
function common.count(status, limit)
  answered = answered + 1
  if status >= 200 and status < 300 then
    succeeded = succeeded + 1
  end
  finished = common.now()
  if limit and answered >= limit then
    wrk.thread:stop()
  end
end

-- Prints the rate over the time the threads really worked (wrk's own figure spans the whole
-- --duration, even when threads stopped early) and how many answers were 2xx.
function common.done()
  local first, last, total, ok = math.huge, 0, 0, 0
  for _, thread in ipairs(common.threads) do
    first = math.min(first, thread:get("started"))
    last = math.max(last, thread:get("finished"))
    total = total + thread:get("answered")
    ok = ok + thread:get("succeeded")
  end
  local seconds = math.max(last - first, 1e-9)
  io.write(string.format("MEASURED_SECONDS=%.2f\nMEASURED_ANSWERS=%d\nMEASURED_2XX=%d\nMEASURED_RPS=%.0f\n",
    seconds, total, ok, total / seconds))
end

return common
