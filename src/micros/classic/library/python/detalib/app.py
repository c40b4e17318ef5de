"""micros' own implementation of what Deta Cloud's runtime pre-installed as `detalib`: App, app.lib.cron
and app.lib.run (written for micros from Deta's documentation; no Deta code).

`App(web_app)` serves HTTP as the wrapped WSGI or ASGI app does; `App()` (the `app` of `from deta
import app`) has no HTTP side and answers a clear message. micros delivers cron and run events as
`POST /__space/v0/actions` (Space's action call) with {"event": {"trigger": "schedule"}} for the
cron and {"event": {"trigger": "run", "action": ..., "body": ...}} for `micros invoke`; the
handler's return value comes back as JSON. Handlers live in one registry per process, so they
work on whichever App they were registered.
"""
import asyncio
import inspect
import io
import json
import sys
import traceback

ACTIONS = "/__space/v0/actions"
NO_HTTP = (b"this micro has no HTTP handler: its code defines only Deta's cron and run handlers (app.lib.cron, app.lib.run);"
           b" to serve HTTP, wrap a web app: app = App(FastAPI()) or app = App(Flask(__name__))\n")
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


class Event:
    """What a cron or run handler receives: type ("cron" or "run"), json, body (the raw JSON text) and action."""

    def __init__(self, type, json=None, body=None, action=""):
        self.type = type
        self.json = json
        self.body = body
        self.action = action

    def __repr__(self):
        return "Event(type=%r, action=%r, json=%r)" % (self.type, self.action, self.json)


class _Registry:
    cron = None
    runs = {}


_registry = _Registry()


class Lib:
    """app.lib: decorators that register the micro's cron and run handlers."""

    def cron(self, func=None):
        def register(f):
            _registry.cron = f
            return f
        return register(func) if callable(func) else register

    def run(self, func=None, action=""):
        if isinstance(func, str):  # @app.lib.run("name")
            func, action = None, func

        def register(f):
            _registry.runs[action or ""] = f
            return f
        return register(func) if callable(func) else register


lib = Lib()


def _call(handler, event):
    result = handler(event)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    return result


async def _await(awaitable):
    return await awaitable


def handles(body):
    """Whether this action call is for a handler here (a cron handler, or a run)."""
    event = _event(body)
    if event is None:
        return False
    return event.get("trigger") == "run" or _registry.cron is not None


def _event(body):
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return None
    event = doc.get("event") if isinstance(doc, dict) else None
    return event if isinstance(event, dict) else None


def answer(body):
    """(status, JSON bytes) for an action call this module handles."""
    event = _event(body)
    if event.get("trigger") == "run":
        action = event.get("action") or ""
        handler = _registry.runs.get(action)
        if handler is None:
            known = ", ".join(repr(a) for a in sorted(_registry.runs)) or "none"
            return 404, _json({"errorMessage": "no app.lib.run handler for the action %r (handlers: %s)" % (action, known),
                               "errorType": "NoHandler"})
        text = event.get("body") or "{}"
        try:
            data = json.loads(text)
        except ValueError:
            return 400, _json({"errorMessage": "the run's body is not JSON", "errorType": "BadInput"})
        ev = Event("run", data, text, action)
    else:
        handler, ev = _registry.cron, Event("cron")
    try:
        result = _call(handler, ev)
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        return 500, _json({"errorMessage": str(e), "errorType": type(e).__name__})
    return 200, _json(result)


def _json(value):
    return json.dumps(value, default=str).encode("utf-8")


def _is_asgi(app):
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else getattr(app, "__call__", None)
    return inspect.iscoroutinefunction(call)


class _App:
    """Attributes not its own go to the wrapped app, so app.get(...), app.route(...) and app.config work."""

    def __init__(self, app=None):
        object.__setattr__(self, "_app", app)

    @property
    def lib(self):
        return lib

    def __getattr__(self, name):
        wrapped = object.__getattribute__(self, "_app")
        if wrapped is None:
            raise AttributeError("this deta app wraps no web app, so it has no %r: use App(your_app)" % name)
        return getattr(wrapped, name)

    def __setattr__(self, name, value):
        wrapped = object.__getattribute__(self, "_app")
        if wrapped is None or name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(wrapped, name, value)


class _WsgiApp(_App):
    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == ACTIONS and environ.get("REQUEST_METHOD") == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size) if size > 0 else b""
            if handles(body):
                status, data = answer(body)
                start_response("%d %s" % (status, REASONS.get(status, "Status")),
                               [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
                return [data]
            environ["wsgi.input"] = io.BytesIO(body)
        if self._app is None:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(NO_HTTP)))])
            return [NO_HTTP]
        return self._app(environ, start_response)


class _AsgiApp(_App):
    async def __call__(self, scope, receive, send):
        if scope.get("type") == "http" and scope.get("path") == ACTIONS and scope.get("method") == "POST":
            chunks, more = [], True
            while more:
                message = await receive()
                if message.get("type") != "http.request":
                    return
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            if handles(body):
                status, data = await asyncio.get_running_loop().run_in_executor(None, answer, body)
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
                await send({"type": "http.response.body", "body": data})
                return
            replayed = [False]

            async def replay():
                if not replayed[0]:
                    replayed[0] = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()
            await self._app(scope, replay, send)
            return
        await self._app(scope, receive, send)


def App(app=None):
    """Wraps a WSGI or ASGI app (App(FastAPI()), App(Flask(__name__))), or none: cron and run handlers only."""
    if isinstance(app, _App):
        return app
    if app is None:
        return _WsgiApp(None)
    return _AsgiApp(app) if _is_asgi(app) else _WsgiApp(app)


app = App()
