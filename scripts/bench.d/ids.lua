-- Loads BENCH_IDS (one id a line) and gives each wrk thread its own share:
-- the ids at positions tid, tid + threads, ... (BENCH_THREADS threads).
function thread_ids()
   local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
   local mine = {}
   local i = 0
   for line in io.lines(os.getenv("BENCH_IDS")) do
      if (i % threads) + 1 == tid then
         table.insert(mine, line)
      end
      i = i + 1
   end
   return mine
end
