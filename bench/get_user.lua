-- wrk script: GET /users/{id} on a pool of users (USER_IDS, TOKEN in the environment).
local ids = {}
-- USER_IDS_FILE (one id a line) for large pools: the environment holds 128 KiB a variable.
local ids_file = os.getenv("USER_IDS_FILE")
if ids_file then
  for id in io.lines(ids_file) do ids[#ids + 1] = id end
else
  for id in string.gmatch(os.getenv("USER_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
end
local token = os.getenv("TOKEN") or ""
local counter = 0

request = function()
  counter = counter + 1
  return wrk.format("GET", "/management/v1/users/" .. ids[(counter % #ids) + 1],
                    {["authorization"] = "Bearer " .. token})
end

done = function(summary, latency)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
