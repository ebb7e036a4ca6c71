-- wrk script of bench/api: durable record writes through the HTTP API.
--
-- Each request POSTs a note of about 200 bytes to one of the cases listed
-- in the file $BENCH_CASES (one id a line). wrk thread i of n takes cases
-- i, i + n, i + 2n, ... and cycles through them, so that with many more
-- cases than connections two requests rarely write to one case at once.
-- The seq of every 201 response is kept, and done() writes the seqs to
-- $BENCH_SEQS (one a line) and prints one JSON line with the counts.
--
-- Environment: BENCH_CASES, BENCH_SEQS, BENCH_THREADS (wrk's -t) and
-- BENCH_TOKEN (a bearer token).

local threads = {}
local next_index = 0

function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(os.getenv("BENCH_THREADS"))
  local n = 0

  cases = {}
  for line in io.lines(os.getenv("BENCH_CASES")) do
    if line ~= "" then
      if n % count == index then
        table.insert(cases, line)
      end
      n = n + 1
    end
  end
  if #cases == 0 then
    error("no case for wrk thread " .. index .. " in $BENCH_CASES")
  end
  sent = 0
  created = 0
  seqs = {}
  statuses = {}
  headers = {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Content-Type"] = "application/json",
  }
end

-- The note text: the thread and request numbers, then a sentence of the
-- kind a case officer writes, about 200 bytes of UTF-8 in all.
local sentence = "申请人来电询问办理进度，窗口人员已告知目前处于审查阶段，"
  .. "并提醒其按时补正经营场所平面图和从业人员健康证明。如有疑问可致电窗口咨询。"

function request()
  local case = cases[(sent % #cases) + 1]
  local body = string.format('{"kind":"note","fields":{"text":"%d-%d %s"}}',
                             index, sent, sentence)

  sent = sent + 1
  return wrk.format("POST", "/api/v1/cases/" .. case .. "/records", headers,
                    body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local seq = string.match(body, '"seq":%s*(%d+)')
    created = created + 1
    table.insert(seqs, seq or "missing")
  end
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_SEQS"), "w")
  local created_total = 0
  local parts = {}
  local by_status = {}

  for _, thread in ipairs(threads) do
    created_total = created_total + thread:get("created")
    for _, seq in ipairs(thread:get("seqs")) do
      out:write(seq, "\n")
    end
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  out:close()
  for status, count in pairs(by_status) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  io.write(string.format(
    '{"created":%d,"statuses":{%s},"duration_us":%d,"requests":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,'
      .. '"timeout":%d},"latency_us":{"p50":%d,"p99":%d,"max":%d}}\n',
    created_total, table.concat(parts, ","), summary.duration,
    summary.requests, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
