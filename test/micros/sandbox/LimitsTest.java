package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.runtime.RunConfig;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Procs;
import micros.support.Http.Response;
import micros.util.Json;

/** Space's limits enforced for real: timeout, memory and processes through this machine's cgroups, payload by the gateway. */
class LimitsTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static final long PAYLOAD = 1 << 20;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node", "python3");
        Limiter probe = Limiter.detect(RunConfig.Limits.SPACE, System.getenv(), w -> { });
        probe.close();
        Assumptions.assumeTrue(probe.mode() != Limiter.Mode.NONE, "memory and pids limits need cgroups here: " + probe.reason());
        java.nio.file.Path root = Apps.copy("limits", dir);
        // a static file past the payload limit, there before the start: micros serves the site from its stage
        java.nio.file.Files.write(root.resolve("site/large.bin"), new byte[(int) PAYLOAD * 2]);
        app = Apps.start(root, Apps.Options.defaults().limits(Duration.ofSeconds(2), 64L << 20, 40, PAYLOAD));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static long pid(String micro) throws Exception {
        Response r = Http.get(app.port(), "/" + micro + "/pid");
        assertEquals(200, r.status(), r.text());
        return (Long) Json.object(r.text()).get("pid");
    }

    @Test
    void aRequestPastTheTimeoutGets504AndTheMicroIsReset() throws Exception {
        long before = pid("hog"), other = pid("other");
        long t0 = System.nanoTime();
        Response r = Http.get(app.port(), "/hog/sleep?s=10");
        long took = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.status());
        assertEquals("micro \"hog\" did not answer within 2s (Space's execution timeout)\n", r.text());
        assertTrue(took < 6000, "answered after the limit, not after the sleep: " + took + " ms");
        assertTrue(app.logged("hog: GET /hog/sleep?s=10 did not finish within 2s (Space's execution timeout); killing instance "), app::output);
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (Procs.alive(before) && System.nanoTime() < until) Thread.sleep(20);
        assertFalse(Procs.alive(before), "the timed-out micro's process was killed");
        assertNotEquals(before, pid("hog"), "the next request cold-starts it");
        assertEquals(other, pid("other"), "other micros are untouched");
    }

    @Test
    void aResponseThatStartedBeforeTheTimeoutIsCut() throws Exception {
        assertThrows(IOException.class, () -> Http.get(app.port(), "/hog/slowstream"));
        assertEquals(200, Http.get(app.port(), "/hog/pid").status());
    }

    @Test
    void allocatingPastTheMemoryLimitGets502NamingItAndRecovers() throws Exception {
        long before = pid("hog");
        Response r = Http.get(app.port(), "/hog/alloc?mb=200");
        assertEquals(502, r.status(), r.text());
        assertEquals("micro \"hog\" was killed: out of memory (64 MiB limit)\n", r.text());
        assertTrue(app.awaitLog(" was killed: out of memory (64 MiB limit); the next request starts it again"), app::output); // "hog: instance N was killed ..."
        long after = pid("hog");
        assertNotEquals(before, after);
        assertEquals(200, Http.get(app.port(), "/hog/alloc?mb=10").status(), "under the limit it works");
    }

    @Test
    void threadsPastThePidsLimitAreRefusedAndLogged() throws Exception {
        Response r = Http.get(app.port(), "/hog/threads?n=200");
        assertEquals(200, r.status(), r.text());
        Map<String, Object> j = Json.object(r.text());
        assertTrue((Long) j.get("started") < 40, r.text());
        assertTrue(String.valueOf(j.get("error")).contains("can't start new thread"), r.text());
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!app.logged("hog: the process limit (40 processes and threads, Space's limit) refused") && System.nanoTime() < until) Thread.sleep(50);
        assertTrue(app.awaitLog("hog: the process limit (40 processes and threads, Space's limit) refused a fork or a new thread"), app::output);
    }

    private static Response post(String path, int size) throws Exception {
        return Http.send(app.port(), "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\nConnection: close\r\n\r\n", new byte[size]);
    }

    private static Response chunked(String path, int size) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").getBytes());
            int left = size;
            try {
                while (left > 0) {
                    int n = Math.min(left, 64 * 1024);
                    out.write((Integer.toHexString(n) + "\r\n").getBytes());
                    out.write(new byte[n]);
                    out.write("\r\n".getBytes());
                    left -= n;
                }
                out.write("0\r\n\r\n".getBytes());
            } catch (IOException e) {
                // the gateway may answer 413 and close before the whole body is sent
            }
            return Http.read(s.getInputStream(), false);
        }
    }

    @Test
    void requestBodiesOverThePayloadLimitGet413() throws Exception {
        Response over = post("/other/x", (int) PAYLOAD + 1);
        assertEquals(413, over.status());
        assertEquals("the request body is over the 1 MiB payload limit (Space's limit)\n", over.text());
        Response under = post("/other/x", (int) PAYLOAD);
        assertEquals(200, under.status());
        assertEquals((long) PAYLOAD, Json.object(under.text()).get("bytes"));
        long completed = (Long) Json.object(under.text()).get("completed");
        assertEquals(413, chunked("/other/x", (int) PAYLOAD + 1).status());
        Response chunkedUnder = chunked("/other/x", (int) PAYLOAD);
        assertEquals(200, chunkedUnder.status());
        assertEquals((long) PAYLOAD, Json.object(chunkedUnder.text()).get("bytes"));
        assertEquals(completed + 1, Json.object(chunkedUnder.text()).get("completed"), "the micro never received the over-limit request whole");
    }

    @Test
    void aContentLengthOverTheLimitNeverWakesTheMicro() throws Exception {
        try (Apps.Running fresh = Apps.start(Apps.copy("limits", dir.resolve("fresh")), Apps.Options.defaults().limits(Duration.ofSeconds(5), 64L << 20, 64, PAYLOAD))) {
            assertEquals(413, Http.send(fresh.port(), "POST /other/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + (PAYLOAD + 1) + "\r\nConnection: close\r\n\r\n", new byte[0]).status());
            assertFalse(fresh.logged("other: cold start"), fresh::output);
        }
    }

    @Test
    void responseBodiesOverThePayloadLimitGet502() throws Exception {
        Response over = Http.get(app.port(), "/hog/big?kb=1025");
        assertEquals(502, over.status());
        assertEquals("micro \"hog\" answered with a body over the 1 MiB payload limit (Space's limit)\n", over.text());
        assertEquals(200, Http.get(app.port(), "/hog/big?kb=1024").status());
        assertThrows(IOException.class, () -> Http.get(app.port(), "/hog/big?kb=1100&chunked=1"), "a chunked response over the limit is cut");
        assertEquals(1024 * 1024, Http.get(app.port(), "/hog/big?kb=1024&chunked=1").body().length);
    }

    @Test
    void staticFilesAreExemptFromThePayloadLimit() throws Exception {
        Response r = Http.get(app.port(), "/large.bin");
        assertEquals(200, r.status());
        assertEquals(PAYLOAD * 2, r.body().length);
    }
}
