"""micros' launcher for Space's legacy Python default: main.py in the micro's folder exposes `app`.

A WSGI app (Flask, Bottle, a plain function) is served with the standard library alone;
an ASGI app (FastAPI, Starlette) with uvicorn when it is installed.
"""
import importlib
import inspect
import os
import sys


def die(message):
    print("micros: " + message, file=sys.stderr, flush=True)
    sys.exit(3)


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


def main():
    sys.path.insert(0, os.getcwd())
    port = int(os.environ["PORT"])
    try:
        module = importlib.import_module("main")
    except ModuleNotFoundError as e:
        if e.name == "main":
            die("no main.py in the micro's folder: add one exposing 'app', or set 'run:' in the Spacefile")
        raise
    app = getattr(module, "app", None)
    if app is None:
        die("main.py has no 'app': expose your WSGI or ASGI app as 'app', or set 'run:' in the Spacefile")
    if is_asgi(app):
        try:
            import uvicorn
        except ImportError:
            die("main.py's app is an ASGI app (FastAPI, Starlette): install uvicorn "
                "(pip install uvicorn, or apt-get install python3-uvicorn), or set 'run:' in the Spacefile")
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    else:
        serve_wsgi(app, port)


if __name__ == "__main__":
    main()
