package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.Jar.Proc;

/** Space's legacy Python default with an ASGI app and no uvicorn: the launcher's own asyncio server. */
class AsgiLauncherTest {
    @TempDir
    Path dir;

    static final String APP = String.join("\n",
            "import asyncio, sys",
            "events = []",
            "async def app(scope, receive, send):",
            "    if scope['type'] == 'lifespan':",
            "        while True:",
            "            message = await receive()",
            "            if message['type'] == 'lifespan.startup':",
            "                events.append('startup')",
            "                await send({'type': 'lifespan.startup.complete'})",
            "            elif message['type'] == 'lifespan.shutdown':",
            "                print('lifespan shutdown complete', flush=True)",
            "                await send({'type': 'lifespan.shutdown.complete'})",
            "                return",
            "    request = await receive()",
            "    if scope['path'] == '/stream':",
            "        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})",
            "        for i in range(3):",
            "            await send({'type': 'http.response.body', 'body': b'part %d\\n' % i, 'more_body': True})",
            "            await asyncio.sleep(0.05)",
            "        await send({'type': 'http.response.body', 'body': b'end\\n'})",
            "        return",
            "    text = 'events=%s path=%s query=%s body=%s uvicorn=%s' % (",
            "        ','.join(events), scope['path'], scope['query_string'].decode(), request['body'].decode(), 'uvicorn' in sys.modules)",
            "    await send({'type': 'http.response.start', 'status': 201, 'headers': [(b'content-type', b'text/plain')]})",
            "    await send({'type': 'http.response.body', 'body': text.encode()})",
            "");

    @Test
    void aRawAsgiAppIsServedWithoutUvicornWithLifespanAndStreaming() throws Exception {
        Apps.require("python3");
        Path src = Files.createDirectories(dir.resolve("api"));
        Files.writeString(src.resolve("main.py"), APP);
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: python3.9\n");
        try (Proc p = Jar.start(dir, Map.of(), "run", "--port", "0", "--public", "--no-sandbox")) {
            String ready = p.await("is listening on", 30);
            int port = Integer.parseInt(ready.replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1"));
            Http.Response r = Http.send(port, "POST /echo?a=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
                    "hello".getBytes());
            Assumptions.assumeFalse(r.text().contains("uvicorn=True"), "uvicorn is installed for this interpreter: the launcher rightly uses it");
            assertEquals(201, r.status(), r.text() + "\n" + p.output());
            assertEquals("events=startup path=/echo query=a=1 body=hello uvicorn=False", r.text());
            Http.Response stream = Http.get(port, "/stream");
            assertEquals(200, stream.status());
            assertEquals("part 0\npart 1\npart 2\nend\n", stream.text());
            p.signal("TERM");
            p.waitFor(20);
            assertTrue(p.output().contains("lifespan shutdown complete"), "the app saw lifespan.shutdown:\n" + p.output());
        }
    }
}
