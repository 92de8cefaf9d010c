-- GET the URL given to wrk (with its -H headers); no per-response callback, so wrk
-- runs at full speed. scripts/bench checks each URL answers 200 before loading it.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
