"""The py micro: Space's legacy Python default with an ASGI app (as FastAPI would give) and no
uvicorn in requirements.txt; micros serves it with its own small asyncio server, as Space did."""
from urllib.parse import parse_qs

from tiny_greeting import greet

started = False


async def app(scope, receive, send):
    global started
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                started = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await receive()
    name = parse_qs(scope["query_string"].decode()).get("name", ["Space"])[0]
    body = (greet(name) + "\n").encode()
    await send({"type": "http.response.start", "status": 200 if started else 500,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})
