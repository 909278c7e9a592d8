-- wrk script for bench/bench_reports.py: each request files a new report (fresh UUID v4) at a
-- random point of the points file, with a random category; the done() hook prints one JSON line.
--   wrk -t1 -c4 -d10s -s bench/wrk_filing.lua http://127.0.0.1:PORT/api/reports \
--       -- POINTS_FILE "Bearer TOKEN"
local points = {}
local categories = { "improper_waste", "fire_lane_blocked", "illegal_construction", "cooking_fumes" }
local auth = ""

local function seed()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f:read(4)
  f:close()
  local n = 0
  for i = 1, 4 do
    n = n * 256 + bytes:byte(i)
  end
  math.randomseed(n)
end

function init(args)
  seed()
  for line in io.lines(args[1]) do
    local lon, lat = line:match("([^ ]+) ([^ ]+)")
    points[#points + 1] = { lon, lat }
  end
  auth = args[2]
end

local function uuid4()
  return string.format(
    "%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0xffffffff),
    math.random(0, 0xffff),
    math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff),
    math.random(0, 0xffffff),
    math.random(0, 0xffffff)
  )
end

function request()
  local p = points[math.random(#points)]
  local body = string.format(
    '{"id":"%s","category":"%s","location":{"type":"Point","coordinates":[%s,%s]},'
      .. '"crs":"wgs84","accuracy_m":6.0,"placed_by_hand":false,"description":"bench"}',
    uuid4(),
    categories[math.random(#categories)],
    p[1],
    p[2]
  )
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = auth,
  }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,'
      .. '"p50_us":%d,"p95_us":%d,"p99_us":%d}\n',
    summary.requests,
    summary.duration,
    e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50),
    latency:percentile(95),
    latency:percentile(99)
  ))
end
