-- wrk script: the seed call, PUT /users/{id}/machine, on a pool of users; every call
-- changes the name (no NotChanged).
-- Usage (from the repository's root): wrk -t2 -c32 -d20s -s bench/update_machine.lua URL
--        with USER_IDS or USER_IDS_FILE, TOKEN, and RUN_ID, WRK_THREADS (-t) in the environment.
local common = dofile("bench/wrk_common.lua")
local ids = common.user_ids()
local counter = 0
local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
setup = common.setup
done = common.done

request = function()
  counter = counter + 1
  -- Each thread takes its own users (every WRK_THREADS-th, from its number on): threads that
  -- count alike must not rename one user at once, which would measure lock waits and
  -- retries on one stream instead of the call.
  local id = ids[((counter * nthreads + tid - 1) % #ids) + 1]
  local body = '{"name":"bench ' .. common.run .. tostring(tid) .. "-" .. counter .. '","description":"wrk"}'
  return wrk.format("PUT", "/management/v1/users/" .. id .. "/machine",
                    {["authorization"] = "Bearer " .. common.token, ["content-type"] = "application/json"}, body)
end
