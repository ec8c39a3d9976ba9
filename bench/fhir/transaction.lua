-- wrk -s transaction.lua: POST [base] with a small transaction: one Patient and one Observation
-- whose subject is the Patient's urn:uuid fullUrl (rewritten by the server to Patient/<new id>).
package.path = (os.getenv("BENCH_DIR") or ".") .. "/fhir/?.lua;" .. package.path
local c = require("common")
local n = 0
local t = 0
function setup(thread) t = t + 1; thread:set("tid", t) end
function init(args) math.randomseed(os.time() + (tid or 1)) end
local function uuid()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(ch)
    local v = ch == "x" and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end
function request()
  n = n + 1
  local p = "urn:uuid:" .. uuid()
  local body = '{"resourceType":"Bundle","type":"transaction","entry":[' ..
    '{"fullUrl":"' .. p .. '","resource":{"resourceType":"Patient","name":[{"family":"Bench","given":["T' .. n ..
    '"]}],"gender":"female","birthDate":"1980-01-01"},"request":{"method":"POST","url":"Patient"}},' ..
    '{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org",' ..
    '"code":"8867-4"}]},"subject":{"reference":"' .. p .. '"},"effectiveDateTime":"2024-01-01T00:00:00Z",' ..
    '"valueQuantity":{"value":' .. (55 + n % 50) .. ',"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}},' ..
    '"request":{"method":"POST","url":"Observation"}}]}'
  return wrk.format("POST", c.path, c.headers, body)
end
