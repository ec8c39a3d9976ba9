-- wrk -s ingest.lua: POST heart-rate device messages to {ws}/medtech/{name}/messages.
-- env MEDTECH_BASE (…/medtech/{name}), TOKEN, BATCH (messages per request, 1 = one JSON object).
local base = assert(os.getenv("MEDTECH_BASE"), "MEDTECH_BASE not set")
local path = base:match("^https?://[^/]+(.*)$"):gsub("/+$", "") .. "/messages"
local batch = tonumber(os.getenv("BATCH") or "1")
local headers = { ["Content-Type"] = "application/json" }
if (os.getenv("TOKEN") or "") ~= "" then headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end
local n = 0

local function message(i)
  return string.format('{"heartRate":%d,"deviceId":"wrk-dev-%d","patientId":"wrk-pat-%d","endDate":"%s"}',
    55 + i % 50, i % 500, i % 500, os.date("!%Y-%m-%dT%H:%M:%SZ", 1700000000 + i))
end

function request()
  local parts = {}
  for _ = 1, batch do
    n = n + 1
    parts[#parts + 1] = message(n)
  end
  local body = batch == 1 and parts[1] or ("[" .. table.concat(parts, ",") .. "]")
  return wrk.format("POST", path, headers, body)
end
