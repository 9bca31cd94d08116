-- wrk script (Debian package wrk 4.1): posts pre-made signed applications, each exactly once.
-- Arguments after "--": the directory of the files (000000.cms, ...), how many there are, how many wrk threads.
-- Thread i posts files i, i + threads, i + 2 * threads, ... Once its files are all sent, a connection asks for a path
-- the RA does not serve (answered 404 by the router, no application code), and the thread stops when every one of
-- its applications has been answered; such a connection waits 200 ms between these asks (wrk's delay hook), so the
-- tail costs the RA next to nothing. The RA's own database counts the decisions; this script counts the answers.
local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   local dir, count, nthreads = args[1], tonumber(args[2]), tonumber(args[3])
   bodies = {}
   for i = id, count - 1, nthreads do
      local f = assert(io.open(string.format("%s/%06d.cms", dir, i), "rb"))
      bodies[#bodies + 1] = f:read("*a")
      f:close()
   end
   sent = 0
   created = 0
   other = 0
   answered = 0
   headers = { ["Content-Type"] = "application/cms" }
   -- wrk calls the first thread's request() once before it runs, to check what it returns (script_verify_request)
   -- and never sends that request: that call gets the cheap ask, not an application.
   checked = (id ~= 0)
   if #bodies == 0 then
      wrk.thread:stop()
   end
end

function request()
   if not checked then
      checked = true
      return wrk.format("GET", "/bench-all-sent")
   end
   if sent < #bodies then
      sent = sent + 1
      return wrk.format("POST", "/applications", headers, bodies[sent])
   end
   return wrk.format("GET", "/bench-all-sent")
end

function delay()
   if sent < #bodies then
      return 0
   end
   return 200
end

function response(status, headers, body)
   if status == 404 then
      return
   end
   answered = answered + 1
   if status == 201 then
      created = created + 1
   else
      other = other + 1
      if other <= 3 then
         io.stderr:write("unexpected answer " .. status .. ": " .. string.sub(body, 1, 400) .. "\n")
      end
   end
   if answered >= #bodies then
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local c, o = 0, 0
   for _, t in ipairs(threads) do
      c = c + t:get("created")
      o = o + t:get("other")
   end
   io.write(string.format("WRK created=%d other=%d p50=%.1fms p99=%.1fms\n", c, o,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
