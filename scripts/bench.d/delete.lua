-- DELETE existing locations, each once, from this thread's share of BENCH_IDS; a thread
-- that runs out stops (scripts/bench gives it more ids than it can delete in time).
-- Env: BENCH_IDS, BENCH_THREADS.
local dir = os.getenv("BENCH_LUA_DIR")
dofile(dir .. "/report.lua")
dofile(dir .. "/ids.lua")
counts_every_response = true

local ids = nil
local n = 0

function request()
   ids = ids or thread_ids()
   n = n + 1
   local id = ids[n]
   if not id then
      wrk.thread:stop()
      id = ids[#ids]
   end
   return wrk.format("DELETE", "/api/dcim/locations/" .. id .. "/")
end

function response(status_code, headers, body)
   count_status(status_code)
end
