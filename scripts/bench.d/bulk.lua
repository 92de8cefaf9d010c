-- POST a list of BENCH_BULK (250) new locations per request, and append the ids of the
-- created locations to BENCH_IDS_DIR/ids-<run>-<thread> for the update and delete runs.
-- Env: BENCH_RUN, BENCH_LOCATION_TYPE, BENCH_STATUS, BENCH_BULK, BENCH_IDS_DIR.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
counts_every_response = true

local run = os.getenv("BENCH_RUN") or "run"
local location_type = os.getenv("BENCH_LOCATION_TYPE")
local status = os.getenv("BENCH_STATUS")
local size = tonumber(os.getenv("BENCH_BULK") or "250")
local ids_dir = os.getenv("BENCH_IDS_DIR")
local n = 0
local out = nil

function request()
   n = n + 1
   local items = {}
   for j = 1, size do
      items[j] = string.format(
         '{"name":"b-%s-%d-%d-%d","location_type":"%s","status":"%s"}',
         run, tid, n, j, location_type, status)
   end
   return wrk.format("POST", nil, nil, "[" .. table.concat(items, ",") .. "]")
end

function response(status_code, headers, body)
   count_status(status_code)
   if status_code ~= 201 or not ids_dir then
      return
   end
   if not out then
      out = io.open(string.format("%s/ids-%s-%d", ids_dir, run, tid), "a")
   end
   -- Top-level objects only: a reference to a location is followed by "url".
   for id in string.gmatch(body, '"id":"([0-9a-f-]+)","object_type":"dcim.location","display"') do
      out:write(id, "\n")
   end
   out:flush()
end
