-- wrk: a clerk's and a handler's reads: 60% one matter with its contacts and timeline, 25% the first page
-- of a worklist (matters in one status, newest first), 15% the overdue list by deadline. IDS (a file of matter ids) and TOKEN come from the
-- environment.
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local lists = {
  "/api/v1/matters?status=awaiting_triage&per_page=20",
  "/api/v1/matters?status=awaiting_acceptance&per_page=20",
  "/api/v1/matters?status=handling&per_page=20",
}
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
math.randomseed(os.time())
request = function()
  local r = math.random(100)
  local path
  if r <= 60 then
    path = "/api/v1/matters/" .. ids[math.random(#ids)]
  elseif r <= 85 then
    path = lists[math.random(#lists)]
  else
    path = "/api/v1/matters?overdue=true&sort=next_due&order=asc&per_page=20"
  end
  return wrk.format("GET", path)
end
