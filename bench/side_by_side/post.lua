-- wrk script: POST the body in $BODY_FILE as JSON; at the end print one JSON line with the
-- request rate, latency percentiles (microseconds) and error counts.
--   BODY_FILE=one.json wrk -t1 -c1 -d5s -s post.lua http://127.0.0.1:P/predict?explain=0
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "rps": %.3f, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "errors_status": %d, "errors_socket": %d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
