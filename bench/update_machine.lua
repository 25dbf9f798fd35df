-- wrk script: the seed call, PUT /users/{id}/machine, on a pool of users,
-- alternating names so that every call changes something (no NotChanged).
-- Usage: wrk -t2 -c32 -d20s -s bench/update_machine.lua http://127.0.0.1:8080
--        with USER_IDS (comma-separated) and TOKEN in the environment.
local ids = {}
-- USER_IDS_FILE (one id a line) for large pools: the environment holds 128 KiB a variable.
local ids_file = os.getenv("USER_IDS_FILE")
if ids_file then
  for id in io.lines(ids_file) do ids[#ids + 1] = id end
else
  for id in string.gmatch(os.getenv("USER_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
end
local token = os.getenv("TOKEN") or ""
-- A run of wrk starts counting again: RUN_ID keeps a second run (after a warm-up) from
-- sending a user the name it already has, which would be NotChanged, not a write.
local run = os.getenv("RUN_ID") or ""
local counter = 0
local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
-- Each wrk thread has its own Lua state: a thread number keeps the names distinct.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

request = function()
  counter = counter + 1
  -- Each thread takes its own users (every WRK_THREADS-th, from its number on): threads that
  -- count alike must not rename one user at once, which would measure lock waits and
  -- retries on one stream instead of the call.
  local id = ids[((counter * nthreads + tid - 1) % #ids) + 1]
  local body = '{"name":"bench ' .. run .. tostring(tid) .. "-" .. counter .. '","description":"wrk"}'
  return wrk.format("PUT", "/management/v1/users/" .. id .. "/machine",
                    {["authorization"] = "Bearer " .. token, ["content-type"] = "application/json"}, body)
end

done = function(summary, latency)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
