-- wrk script of the Tanggap benchmarks.
--
-- Environment:
--   BENCH_TOKEN         API token sent as "Authorization: Bearer ..." (optional)
--   BENCH_COOKIE        Cookie header of a signed-in session (optional)
--   BENCH_METHOD        GET (default) or POST
--   BENCH_PATH          request path with query string
--   BENCH_MAX_REQUESTS  requests per thread after which the thread stops
--
-- POST sends a complaint whose text varies with every request. The done()
-- hook prints one line "RESULT {json}" with the counts and the latency
-- percentiles in microseconds.

local token = os.getenv("BENCH_TOKEN")
local cookie = os.getenv("BENCH_COOKIE")
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "100000")

local channels = { "whatsapp", "sms", "email", "telephone", "walk_in", "web", "letter" }
local subjects = {
  "Jalan berlubang di depan sekolah",
  "Sampah menumpuk di tepi sungai",
  "Lampu penerangan jalan padam",
  "Air PDAM tidak mengalir",
  "Parkir liar di bahu jalan",
  "Drainase tersumbat dan meluap",
}

local sent = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("thread_id", thread_id)
end

function init(args)
  wrk.headers["Content-Type"] = "application/json"
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  if cookie and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
  end
end

function request()
  sent = sent + 1
  if method == "POST" then
    local n = sent + 1000000 * (thread_id or 0)
    local body = string.format(
      '{"channel":"%s","complaint_type":"complaint","body":"%s, laporan uji beban nomor %d. Mohon segera ditindaklanjuti.","location":{"text":"Jl. Pramuka RT %03d","kelurahan_code":"63.71.03.1006"},"reporter":{"name":"Pelapor Uji","phone":"0812%08d"}}',
      channels[(n % #channels) + 1], subjects[(n % #subjects) + 1], n, n % 40 + 1, n % 100000000)
    return wrk.format("POST", path, nil, body)
  end
  return wrk.format(method, path)
end

function response(status, headers, body)
  if sent >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
