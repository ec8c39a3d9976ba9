-- wrk -s paths.lua: GET the request paths listed in PATHS_FILE (one per line), round robin,
-- so a run spreads over many patients, names and codes instead of repeating one query.
package.path = (os.getenv("BENCH_DIR") or ".") .. "/fhir/?.lua;" .. package.path
local c = require("common")
local paths, n
function init(args)
  paths = {}
  for l in io.lines((assert(os.getenv("PATHS_FILE"), "PATHS_FILE not set"))) do
    if l ~= "" then paths[#paths + 1] = l end
  end
  n = math.random(#paths)
end
function request()
  n = n % #paths + 1
  return wrk.format("GET", c.path .. "/" .. paths[n], c.headers)
end
