-- wrk script: the seed call on ONE user from every connection (issue 10's hot user): every
-- call renames it, so calls conflict on its stream and the service must serialise them
-- without an error. Usage (from the repository's root): wrk -t2 -c32 -d20s -s
-- bench/hot_user.lua URL, with HOT_USER, TOKEN and RUN_ID in the environment.
local common = dofile("bench/wrk_common.lua")
local id = os.getenv("HOT_USER") or ""
local counter = 0
setup = common.setup
done = common.done

request = function()
  counter = counter + 1
  local body = '{"name":"hot ' .. common.run .. tostring(tid) .. "-" .. counter .. '"}'
  return wrk.format("PUT", "/management/v1/users/" .. id .. "/machine",
                    {["authorization"] = "Bearer " .. common.token, ["content-type"] = "application/json"}, body)
end
