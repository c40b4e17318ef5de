# Deta Base and Drive on micros through the official python SDK over HTTPS (run by data-bench.sh,
# with the variables `micros data env` prints). Prints p50/p99 in ms and rates.
import http.client
import os
import threading
import time

from deta import Deta

N = int(os.environ.get("BENCH_N", "2000"))


def pct(ts):
    ts = sorted(ts)
    return "p50 %.3f ms, p99 %.3f ms (n=%d)" % (ts[len(ts) // 2] * 1000, ts[int(len(ts) * 0.99)] * 1000, len(ts))


def timed(f, n):
    out = []
    for i in range(n):
        t = time.perf_counter()
        f(i)
        out.append(time.perf_counter() - t)
    return out


key = os.environ["DETA_PROJECT_KEY"]
pid = key.split("_")[0]
host = os.environ["DETA_BASE_HOST"]

# the floor: one HTTPS keep-alive request (Drive's list of an empty drive), python http.client
c = http.client.HTTPSConnection(host)
def floor(i):
    c.request("GET", "/v1/%s/bench-empty/files?limit=1" % pid, headers={"X-API-Key": key})
    c.getresponse().read()
timed(floor, 200)
print("HTTPS keep-alive round trip (http.client, Drive list):", pct(timed(floor, N)))

# a new TLS connection each time, as the SDK's Drive makes one per request: where its time goes
import socket
import ssl
h, p = host.rsplit(":", 1)
print("TLS: the client's default context, made per connection by http.client (reads SSL_CERT_FILE):",
      pct(timed(lambda i: ssl._create_default_https_context(), 200)))
ctx = ssl.create_default_context()
def handshake(i):
    s = ctx.wrap_socket(socket.create_connection((h, int(p))), server_hostname=h)
    s.close()
timed(handshake, 20)
print("TLS: connection and handshake, one context:", pct(timed(handshake, 200)))
def fresh(i):
    c = http.client.HTTPSConnection(host)
    c.request("GET", "/v1/%s/bench-empty/files?limit=1" % pid, headers={"X-API-Key": key, "Connection": "close"})
    c.getresponse().read()
    c.close()
print("HTTPS request on a new connection (http.client, as the SDK's Drive):", pct(timed(fresh, 200)))

b = Deta().Base("bench")
try:
    b.put({"key": "probe", "v": 1})
    base = True
except Exception as e:
    base = False
    print("Base: not available in this build (%s)" % str(e).splitlines()[0][:120])

if base:
    print("Base put (SDK, keep-alive):", pct(timed(lambda i: b.put({"key": "k%d" % i, "n": i, "text": "hello"}), N)))
    print("Base get (SDK, keep-alive):", pct(timed(lambda i: b.get("k%d" % i), N)))
    stop = time.time() + 3
    done = [0]
    lock = threading.Lock()
    def writer(t):
        mine = Deta().Base("bench-rate")
        n = 0
        while time.time() < stop:
            mine.put({"key": "t%d-%d" % (t, n), "n": n})
            n += 1
        with lock:
            done[0] += n
    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print("Base acknowledged puts, 8 clients for 3 s: %.0f puts/s" % (done[0] / 3))
    big = Deta().Base("bench-10k")
    for s in range(0, 10000, 25):
        big.put_many([{"key": "%05d" % i, "n": i, "tag": "even" if i % 2 == 0 else "odd"} for i in range(s, s + 25)])
    big.fetch({"n?gt": 9000})
    ts = timed(lambda i: big.fetch({"n?gt": 9000, "tag": "even"}), 50)
    print("Base fetch with a query over 10,000 items (first page):", pct(ts))

d = Deta().Drive("bench")
M = max(50, N // 10)
print("Drive put of a 1 KiB file (SDK: init, part, complete; new TLS connection each):", pct(timed(lambda i: d.put("f%d.txt" % i, b"x" * 1024), M)))
def get(i):
    f = d.get("f%d.txt" % i)
    f.read()
    f.close()
print("Drive get of a 1 KiB file (SDK, new TLS connection):", pct(timed(get, M)))
