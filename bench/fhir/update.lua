-- wrk -s update.lua: PUT Observation/{id} with a changed value, cycling over the seeded ids.
-- Threads start at different offsets; when two requests do meet on one resource the
-- server's optimistic retry handles it (the figure includes that cost).
package.path = (os.getenv("BENCH_DIR") or ".") .. "/fhir/?.lua;" .. package.path
local c = require("common")
local ids, i, tmpl, n
local t = 0
function setup(thread) t = t + 1; thread:set("tid", t) end
function init(args) ids = c.ids(); tmpl = c.template(); n = 0; i = ((tid or 1) - 1) * math.floor(#ids / 2) end
function request()
  n = n + 1
  i = i % #ids + 1
  local id = ids[i]
  return wrk.format("PUT", c.path .. "/Observation/" .. id, c.headers, c.body(tmpl, id, n))
end
