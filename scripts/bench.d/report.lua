-- Shared by every wrk run of scripts/bench: prints one machine-readable line when the
-- run ends, counting non-2xx responses exactly when the script counts them (the write
-- scripts, through response()), else wrk's own count of statuses >= 400.
--   BENCH <requests> <duration_us> <p99_ms> <mean_ms> <non2xx> <socket_errors>
local threads = {}
local next_id = 1

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

non2xx = 0

function count_status(status)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local bad = summary.errors.status
   if counts_every_response then
      bad = 0
      for _, thread in ipairs(threads) do
         bad = bad + (thread:get("non2xx") or 0)
      end
   end
   local e = summary.errors
   io.write(string.format("BENCH\t%d\t%d\t%.3f\t%.3f\t%d\t%d\n",
      summary.requests, summary.duration,
      latency:percentile(99) / 1000, latency.mean / 1000,
      bad, e.connect + e.read + e.write + e.timeout))
end
