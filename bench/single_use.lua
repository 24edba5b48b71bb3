-- wrk script of the single-use scenarios of bench/run.sh: (d) refresh grant and (x) code
-- exchange. Each request POSTs one line of a file of form bodies (a refresh token or an
-- authorization code each), and no line is sent twice: of N threads, thread t sends lines
-- first + t, first + t + N, first + t + 2N, ... in turn. wrk (C, LuaJIT) costs the shared
-- cores far less CPU per request than a Python client, so the server, not the generator,
-- sets the figure.
--
--   wrk -t T -c C -d S [-H 'name: value']... -s bench/single_use.lua URL -- FILE FIRST T OUT.json CURSOR
--
-- FILE: form bodies, one a line. FIRST: index (0-based) of the first unused line. T: wrk's
-- thread count again (each thread reads its own share of the file). At the end
-- OUT.json gets the figures in the shape of oha's JSON (summary.requestsPerSec,
-- latencyPercentiles in seconds, statusCodeDistribution, errorDistribution) and CURSOR the
-- index past the last line any thread sent, so the next run never sends a line again. A
-- thread that runs out of lines sends its last line again (answered 400: reported as an error
-- by the summary, never counted silently).

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

-- Globals, not locals: done() reads them from each thread with thread:get.
lines, position, stride, statuses, exhausted, file, first, out, cursor = nil, 0, 1, {}, 0, nil, 0, nil, nil

function init(args)
   file, first, stride, out, cursor = args[1], tonumber(args[2]), tonumber(args[3]), args[4], args[5]
   wrk.method = "POST"
   lines = {}
   local n = 0
   for line in io.lines(file) do
      if n >= first and (n - first) % stride == id then
         table.insert(lines, line)
      end
      n = n + 1
   end
   total_lines = n
   position = 0
   sent_last = -1
   statuses = {}
   exhausted = 0
end

function request()
   if position < #lines then
      position = position + 1
      -- The file line index of this thread's latest body.
      sent_last = first + id + (position - 1) * stride
   else
      exhausted = exhausted + 1
   end
   return wrk.format(nil, nil, nil, lines[position] or "")
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
   local codes, short, lines_total = {}, 0, 0
   local first, out, cursor = threads[1]:get("first"), threads[1]:get("out"), threads[1]:get("cursor")
   local last = first - 1
   for _, t in ipairs(threads) do
      for k, v in pairs(t:get("statuses") or {}) do
         codes[k] = (codes[k] or 0) + v
      end
      last = math.max(last, t:get("sent_last") or -1)
      short = short + (t:get("exhausted") or 0)
      lines_total = t:get("total_lines") or lines_total
   end
   local seconds = summary.duration / 1e6
   local parts = {}
   local function add(s) table.insert(parts, s) end
   add(string.format('{"loader": "wrk single_use.lua", "summary": {"total": %.6f, "requestsPerSec": %.3f},',
      seconds, summary.requests / seconds))
   add('"latencyPercentiles": {')
   local ps = { 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99 }
   for i, p in ipairs(ps) do
      add(string.format('"p%s": %.6f%s', tostring(p), latency:percentile(p) / 1e6, i < #ps and ", " or ""))
   end
   add('}, "statusCodeDistribution": {')
   local first_code = true
   for k, v in pairs(codes) do
      add(string.format('%s"%s": %d', first_code and "" or ", ", k, v))
      first_code = false
   end
   add('}, "errorDistribution": {')
   local errs = {}
   local e = summary.errors
   if e.connect > 0 then table.insert(errs, string.format('"connect errors": %d', e.connect)) end
   if e.read > 0 then table.insert(errs, string.format('"read errors": %d', e.read)) end
   if e.write > 0 then table.insert(errs, string.format('"write errors": %d', e.write)) end
   if e.timeout > 0 then table.insert(errs, string.format('"timeouts": %d', e.timeout)) end
   if short > 0 then
      table.insert(errs, string.format('"supply of single-use lines exhausted: %d requests repeated a line": %d', short, short))
   end
   add(table.concat(errs, ", "))
   add(string.format('}, "linesUsed": %d, "linesLeft": %d}\n', last + 1 - first, lines_total - last - 1))
   local f = assert(io.open(out, "w"))
   f:write(table.concat(parts))
   f:close()
   local c = assert(io.open(cursor, "w"))
   c:write(string.format("%d\n", last + 1))
   c:close()
end
