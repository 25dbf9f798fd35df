-- wrk script: the seed call on ONE user from every connection (issue 10's hot user): every
-- call renames it, so calls conflict on its stream and the service must serialise them
-- without an error. Usage: wrk -t2 -c32 -d20s -s bench/hot_user.lua URL, with HOT_USER and
-- TOKEN in the environment.
local id = os.getenv("HOT_USER") or ""
local token = os.getenv("TOKEN") or ""
-- A run of wrk starts counting again: RUN_ID keeps a second run (after a warm-up) from
-- sending a user the name it already has, which would be NotChanged, not a write.
local run = os.getenv("RUN_ID") or ""
local counter = 0
-- wrk's threads share one random seed and run the same script: a thread number keeps names apart.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

request = function()
  counter = counter + 1
  local body = '{"name":"hot ' .. run .. tostring(tid) .. "-" .. counter .. '"}'
  return wrk.format("PUT", "/management/v1/users/" .. id .. "/machine",
                    {["authorization"] = "Bearer " .. token, ["content-type"] = "application/json"}, body)
end

done = function(summary, latency)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
