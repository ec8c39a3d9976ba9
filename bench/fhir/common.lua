-- Shared by the wrk scripts: base path, headers, the Observation template, the seeded ids.
local M = {}
local base = assert(os.getenv("FHIR_BASE"), "FHIR_BASE not set")
M.path = base:match("^https?://[^/]+(.*)$"):gsub("/+$", "")
M.headers = { ["Content-Type"] = "application/fhir+json", ["Accept"] = "application/fhir+json" }
if (os.getenv("TOKEN") or "") ~= "" then M.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end

function M.template()
  local dir = os.getenv("BENCH_DIR") or "."
  return assert(io.open(dir .. "/fhir/observation.json")):read("*a"):gsub("%s+$", "")
end

function M.ids()
  local ids = {}
  for l in io.lines((assert(os.getenv("IDS_FILE"), "IDS_FILE not set"))) do
    if l ~= "" then ids[#ids + 1] = l end
  end
  return ids
end

function M.body(tmpl, id, n)
  return (tmpl:gsub("@(%u+)@", {
    ID = id, PATIENT = "bench-patient-" .. (n % 200), TIME = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    VALUE = tostring(55 + n % 50),
  }))
end
return M
