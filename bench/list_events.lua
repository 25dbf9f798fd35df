-- wrk script: admin ListEvents with the request body BODY, as TOKEN.
local body = os.getenv("BODY") or "{}"
local token = os.getenv("TOKEN") or ""

request = function()
  return wrk.format("POST", "/admin/v1/events/_search", {["authorization"] = "Bearer " .. token}, body)
end

done = function(summary, latency)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
