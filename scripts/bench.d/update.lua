-- PATCH the description of existing locations, cycling through this thread's share of
-- BENCH_IDS. Env: BENCH_RUN, BENCH_IDS, BENCH_THREADS.
local dir = os.getenv("BENCH_LUA_DIR")
dofile(dir .. "/report.lua")
dofile(dir .. "/ids.lua")
counts_every_response = true

local run = os.getenv("BENCH_RUN") or "run"
local ids = nil
local n = 0

function request()
   ids = ids or thread_ids()
   n = n + 1
   local id = ids[((n - 1) % #ids) + 1]
   local body = string.format('{"description":"u-%s-%d-%d"}', run, tid, n)
   return wrk.format("PATCH", "/api/dcim/locations/" .. id .. "/", nil, body)
end

function response(status_code, headers, body)
   count_status(status_code)
end
