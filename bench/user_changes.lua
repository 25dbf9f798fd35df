-- wrk script: ListUserChanges, first page of LIMIT (100) of one user (USER_ID, TOKEN).
local path = "/management/v1/users/" .. (os.getenv("USER_ID") or "") .. "/changes/_search"
local body = string.format('{"query":{"limit":%d}}', tonumber(os.getenv("LIMIT") or "100"))
local token = os.getenv("TOKEN") or ""

request = function()
  return wrk.format("POST", path, {["authorization"] = "Bearer " .. token}, body)
end

done = function(summary, latency)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
