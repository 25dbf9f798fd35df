-- wrk script: POSTs to one OAuth endpoint (PATH, e.g. /oauth/v2/token) from a file of requests
-- (REQUESTS_FILE: one a line, "<Authorization header or ->\t<form body>"), taken in turn.
-- Run wrk from the repository's root.
local common = dofile("bench/wrk_common.lua")
local path = os.getenv("REQUESTS_PATH") or "/oauth/v2/token"
local requests = {}
-- Formatted in init, not when the script loads: wrk adds the Host header to its defaults only
-- then, and a request without it is refused.
init = function()
  for line in io.lines(os.getenv("REQUESTS_FILE")) do
    local auth, body = line:match("^([^\t]*)\t(.*)$")
    local headers = {["content-type"] = "application/x-www-form-urlencoded"}
    if auth ~= "-" then headers["authorization"] = auth end
    requests[#requests + 1] = wrk.format("POST", path, headers, body)
  end
end
local counter = 0
setup = common.setup
done = common.done

request = function()
  counter = counter + 1
  -- Each thread starts at another place, so that two threads seldom ask for one user at once.
  return requests[((counter + (tid or 0) * 7919) % #requests) + 1]
end
