# The query part of DataScale.java: the python SDK over HTTPS against the Base "big" of N items
# (the variables `micros data env` prints are set). Prints p50/p99 in ms.
import random
import sys
import time

from deta import Deta

n = int(sys.argv[1])


def pct(ts):
    ts = sorted(ts)
    return "p50 %.2f ms, p99 %.2f ms (n=%d)" % (ts[len(ts) // 2] * 1000, ts[int(len(ts) * 0.99)] * 1000, len(ts))


def timed(f, k):
    out = []
    for i in range(k):
        t = time.perf_counter()
        f(i)
        out.append(time.perf_counter() - t)
    return out


b = Deta().Base("big")
queries = [{"city": "Berlin", "age?gte": 40}, {"tags?contains": "t3"}, {"name?pfx": "User 1999"}, {"key?pfx": "zz"}]
for q in queries:  # warmed up first: micros compiles its query path as it runs
    for i in range(10):
        b.fetch(q)
for q in queries:
    r = b.fetch(q)
    print("Base fetch %s over %s items, first page (%d found, more: %s): %s" % (q, "{:,}".format(n), r.count, r.last is not None, pct(timed(lambda i: b.fetch(q), 50))))
keys = [i["key"] for i in b.fetch(limit=1000).items]
random.seed(26)
print("Base get of random keys among %s items: %s" % ("{:,}".format(n), pct(timed(lambda i: b.get(random.choice(keys)), 1000))))
t = time.perf_counter()
seen, pages, last = 0, 0, None
while True:
    r = b.fetch(last=last)
    seen += r.count
    pages += 1
    last = r.last
    if last is None:
        break
print("Base fetch of every item, page after page: %s items in %d pages, %.1f s" % ("{:,}".format(seen), pages, time.perf_counter() - t))
