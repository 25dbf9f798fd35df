-- wrk script: GET /users/{id} on a pool of users (USER_IDS or USER_IDS_FILE, TOKEN in the
-- environment). Run wrk from the repository's root.
local common = dofile("bench/wrk_common.lua")
local ids = common.user_ids()
local counter = 0
done = common.done

request = function()
  counter = counter + 1
  return wrk.format("GET", "/management/v1/users/" .. ids[(counter % #ids) + 1],
                    {["authorization"] = "Bearer " .. common.token})
end
