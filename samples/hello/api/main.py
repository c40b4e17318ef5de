"""The api micro: a WSGI app using only Python's standard library (Space's legacy python default)."""
import json
import os

ticks = 0


def app(environ, start_response):
    global ticks
    path = environ.get("PATH_INFO", "/")
    method = environ["REQUEST_METHOD"]
    if method == "POST" and path == "/__space/v0/actions":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        event = json.loads(environ["wsgi.input"].read(length) or b"{}").get("event", {})
        ticks += 1
        body = {"action": event.get("id"), "ticks": ticks}
    elif path == "/health":
        body = {"ok": True}
    else:
        body = {
            "micro": os.environ.get("DETA_SPACE_APP_MICRO_NAME"),
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "ticks": ticks,
        }
    data = json.dumps(body).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
