# How often a POST meets a kept-alive connection its server is closing (issue 29): a client
# acting as a proxy's pool opens N connections, sends a GET on each, leaves each idle for
# RATIO x the server's keep-alive timeout, looks whether it was closed (a non-blocking
# select, as micros reads before it reuses one for a POST), then sends a POST on it anyway.
# Prints, per ratio, the POSTs that failed after being written and those that had passed
# the look; the server's /count says how many POSTs it ran.
# Servers used for the README: node (keepAliveTimeout 1000 ms) and uvicorn (--timeout-keep-alive 1),
# each answering "ok", counting POSTs, and answering /count with the count.
# Usage: /usr/bin/python3 keepalive_race.py PORT TIMEOUT_SECONDS RATIO[,RATIO...] [N]
import select
import socket
import sys
import threading
import time

port, timeout = int(sys.argv[1]), float(sys.argv[2])
ratios = [float(x) for x in sys.argv[3].split(",")]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 40
POST = b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"


def answer(s):
    data = b""
    while b"\r\n\r\nok" not in data:
        b = s.recv(4096)
        if not b:
            return data
        data += b
    return data


def trial(idle, out):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /g HTTP/1.1\r\nHost: x\r\n\r\n")
    answer(s)
    time.sleep(idle)
    looked_closed = bool(select.select([s], [], [], 0)[0])
    try:
        s.sendall(POST)
        res = "ok" if answer(s).endswith(b"ok") else "eof"
    except (ConnectionResetError, BrokenPipeError):
        res = "reset"
    out.append((looked_closed, res))
    s.close()


def count():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    d = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        d += b
    return int(d.split(b"\r\n\r\n")[1])


for ratio in ratios:
    before = count()
    out = []
    ts = [threading.Thread(target=trial, args=(timeout * ratio + i * 0.0001, out)) for i in range(N)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    failed = [r for c, r in out if r != "ok"]
    past_look = [r for c, r in out if r != "ok" and not c]
    print("idle %.3fx the timeout: %d POSTs, %d failed after being written, %d of them past the look; the server ran %d"
          % (ratio, N, len(failed), len(past_look), count() - before), flush=True)
