-- POST one new location per request: unique names from the run, the thread and a
-- counter. Env: BENCH_RUN, BENCH_LOCATION_TYPE (id), BENCH_STATUS (id).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
counts_every_response = true

local run = os.getenv("BENCH_RUN") or "run"
local location_type = os.getenv("BENCH_LOCATION_TYPE")
local status = os.getenv("BENCH_STATUS")
local n = 0

function request()
   n = n + 1
   local body = string.format(
      '{"name":"c-%s-%d-%d","location_type":"%s","status":"%s","description":"bench"}',
      run, tid, n, location_type, status)
   return wrk.format("POST", nil, nil, body)
end

function response(status_code, headers, body)
   count_status(status_code)
end
