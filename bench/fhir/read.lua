-- wrk -s read.lua: GET Observation/{id}, cycling over the seeded ids.
package.path = (os.getenv("BENCH_DIR") or ".") .. "/fhir/?.lua;" .. package.path
local c = require("common")
local ids, i
local t = 0
function setup(thread) t = t + 1; thread:set("tid", t) end
function init(args) ids = c.ids(); i = ((tid or 1) * 997) % #ids end
function request()
  i = i % #ids + 1
  return wrk.format("GET", c.path .. "/Observation/" .. ids[i], { ["Accept"] = "application/fhir+json",
    ["Authorization"] = c.headers["Authorization"] })
end
