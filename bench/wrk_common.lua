-- What the wrk scripts share (loaded with dofile("bench/wrk_common.lua"); run wrk from the
-- repository's root): the user ids, the token, thread numbers and the percentiles line.
local common = {}

-- USER_IDS_FILE (one id a line) for large pools: the environment holds 128 KiB a variable;
-- else USER_IDS, comma-separated.
function common.user_ids()
  local ids = {}
  local ids_file = os.getenv("USER_IDS_FILE")
  if ids_file then
    for id in io.lines(ids_file) do ids[#ids + 1] = id end
  else
    for id in string.gmatch(os.getenv("USER_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
  end
  return ids
end

common.token = os.getenv("TOKEN") or ""
-- A run of wrk starts counting again: RUN_ID keeps a second run (after a warm-up) from
-- sending a user the name it already has, which would be NotChanged, not a write.
common.run = os.getenv("RUN_ID") or ""

-- wrk's threads share one random seed and run the same script: each gets a number (`tid`
-- in its state), to keep names and users apart.
local threads = 0
function common.setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function common.done(summary, latency)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end

return common
