"""micros' launcher for Space's legacy Python default: main.py in the micro's folder exposes `app`.

A WSGI app (Flask, Bottle, a plain function) is served with the standard library alone;
an ASGI app (FastAPI, Starlette) with uvicorn when it is installed, else with the small
asyncio HTTP/1.1 server below (as Space served such apps without uvicorn in requirements.txt).
"""
import asyncio
import importlib
import inspect
import os
import signal
import sys
from urllib.parse import unquote


def die(message):
    print("micros: " + message, file=sys.stderr, flush=True)
    sys.exit(3)


def crash(error):
    """Prints the app's failure once, as Python would, but without this launcher's, micros' deta
    library's and importlib's frames (the user's own code is what they need to see); exits 1."""
    import traceback
    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    machinery = os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep

    def own(frame):
        name = frame.filename
        return not (name.startswith(here) or name.startswith(machinery) or name.startswith("<frozen importlib"))

    top = traceback.TracebackException.from_exception(error)
    pending, seen = [top], set()
    while pending:  # the exception, and those it was raised from or during
        t = pending.pop()
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        t.stack = traceback.StackSummary.from_list([f for f in t.stack if own(f)])
        pending += [t.__cause__, t.__context__]
    sys.stderr.write("".join(top.format()))
    sys.stderr.flush()
    sys.exit(1)


def is_asgi(app):
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else getattr(app, "__call__", None)
    return inspect.iscoroutinefunction(call)


def serve_wsgi(app, port):
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        allow_reuse_address = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    make_server("127.0.0.1", port, app, server_class=Server, handler_class=Quiet).serve_forever()


class AsgiServer:
    """HTTP/1.1 for one ASGI 3 app: keep-alive, Content-Length or chunked bodies, streamed
    responses (chunked when the app gives no length), lifespan startup and shutdown."""

    def __init__(self, app, port):
        self.app = app
        self.port = port
        self.state = {}
        self.lifespan_supported = True

    async def lifespan(self, phase):
        """Sends lifespan.startup (or .shutdown) and waits for the app's answer."""
        if not self.lifespan_supported:
            return
        if phase == "startup":
            self.lifespan_queue = asyncio.Queue()
            self.lifespan_done = asyncio.Queue()
            scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}

            async def send(message):
                await self.lifespan_done.put(message)

            async def run():
                try:
                    await self.app(scope, self.lifespan_queue.get, send)
                except BaseException as e:  # an app without lifespan support raises: serve it anyway
                    if not isinstance(e, asyncio.CancelledError):
                        await self.lifespan_done.put({"type": "unsupported"})
                        return
                    raise
                await self.lifespan_done.put({"type": "finished"})

            self.lifespan_task = asyncio.ensure_future(run())
        await self.lifespan_queue.put({"type": "lifespan." + phase})
        answer = await self.lifespan_done.get()
        kind = answer.get("type")
        if kind in ("unsupported", "finished"):
            self.lifespan_supported = False
        elif kind == "lifespan." + phase + ".failed":
            die("the app's lifespan " + phase + " failed: " + str(answer.get("message", "")))

    async def serve(self):
        await self.lifespan("startup")
        server = await asyncio.start_server(self.connection, "127.0.0.1", self.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.close()
        await self.lifespan("shutdown")

    async def connection(self, reader, writer):
        try:
            while await self.exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def exchange(self, reader, writer):
        """One request and its response; False when the connection is to be closed."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip().lower().encode("latin-1"), value.strip().encode("latin-1")))
        fields = {k: v for k, v in headers}
        if fields.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await reader.readexactly(int(fields.get(b"content-length", b"0")))
        path, _, query = target.partition("?")
        keep = version == "HTTP/1.1" and fields.get(b"connection", b"").lower() != b"close"
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": version[5:],
                 "method": method, "scheme": "http", "path": unquote(path), "raw_path": path.encode("latin-1"),
                 "query_string": query.encode("latin-1"), "root_path": "", "headers": headers,
                 "client": writer.get_extra_info("peername")[:2], "server": ("127.0.0.1", self.port), "state": dict(self.state)}
        done = asyncio.Event()
        sent_body = [False]

        async def receive():
            if not sent_body[0]:
                sent_body[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        response = {"started": False, "chunked": False, "finished": False}

        async def send(message):
            kind = message["type"]
            if kind == "http.response.start":
                response["started"] = True
                response["status"] = message["status"]
                response["headers"] = list(message.get("headers", []))
                return
            if kind != "http.response.body" or response["finished"]:
                return
            data = message.get("body", b"")
            more = message.get("more_body", False)
            if "head" not in response:
                out_headers = response["headers"]
                names = {bytes(k).lower() for k, _ in out_headers}
                if b"content-length" not in names:
                    if more:
                        response["chunked"] = True
                        out_headers.append((b"transfer-encoding", b"chunked"))
                    else:
                        out_headers.append((b"content-length", str(len(data)).encode()))
                if not keep:
                    out_headers.append((b"connection", b"close"))
                status = response["status"]
                text = "HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "Status"))
                writer.write(text.encode("latin-1") + b"".join(bytes(k) + b": " + bytes(v) + b"\r\n" for k, v in out_headers) + b"\r\n")
                response["head"] = True
            if method != "HEAD":
                if response["chunked"]:
                    if data:
                        writer.write(b"%x\r\n" % len(data) + data + b"\r\n")
                    if not more:
                        writer.write(b"0\r\n\r\n")
                else:
                    writer.write(data)
            await writer.drain()
            if not more:
                response["finished"] = True

        try:
            await self.app(scope, receive, send)
        except Exception as e:
            print("micros: the app raised %s: %s" % (type(e).__name__, e), file=sys.stderr, flush=True)
            if not response["started"]:
                writer.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 21\r\nconnection: close\r\n\r\nInternal Server Error")
                await writer.drain()
            return False
        finally:
            done.set()
        if not response["finished"]:
            return False  # the app ended without finishing its response: nothing else can follow on this connection
        return keep


REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
           307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 422: "Unprocessable Entity",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def serve_asgi(app, port):
    try:
        import uvicorn
    except ImportError:
        asyncio.run(AsgiServer(app, port).serve())
        return
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def deta_library():
    """Deta Cloud's runtime pre-installed the deta library (app, App, app.lib.cron/run): micros' own,
    extracted beside this file, found after the micro's own packages."""
    library = os.path.join(os.path.dirname(os.path.abspath(__file__)), "deta-library", "python")
    if os.path.isdir(library):
        sys.path.append(library)
        import micros_deta
        micros_deta.install()


def main():
    sys.path.insert(0, os.getcwd())
    deta_library()
    port = int(os.environ["PORT"])
    try:
        module = importlib.import_module("main")
    except ModuleNotFoundError as e:
        if e.name == "main":
            die("no main.py in the micro's folder: add one exposing 'app', or set 'run:' in the Spacefile")
        crash(e)
    except Exception as e:  # SystemExit and KeyboardInterrupt end the micro as they would anyway
        crash(e)
    app = getattr(module, "app", None)
    if app is None and "detalib.app" in sys.modules:  # handlers on deta.app, which main.py did not import by name
        app = sys.modules["detalib.app"].app
    if app is None:
        die("main.py has no 'app': expose your WSGI or ASGI app as 'app', or set 'run:' in the Spacefile")
    if is_asgi(app):
        serve_asgi(app, port)
    else:
        serve_wsgi(app, port)


if __name__ == "__main__":
    main()
