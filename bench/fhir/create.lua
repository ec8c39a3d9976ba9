-- wrk -s create.lua: POST one ~1.5 KB vital-signs Observation per request.
package.path = (os.getenv("BENCH_DIR") or ".") .. "/fhir/?.lua;" .. package.path
local c = require("common")
local tmpl, n
function init(args) tmpl = c.template(); n = 0 end
function request()
  n = n + 1
  return wrk.format("POST", c.path .. "/Observation", c.headers, c.body(tmpl, "wrk-" .. n, n))
end
