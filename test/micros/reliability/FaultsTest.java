package micros.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;
import micros.support.Procs;
import micros.util.Json;

/** Micros that crash, hang, stop or break HTTP: the client always gets an answer or a cut, and the others keep working. */
class FaultsTest {
    @TempDir
    static Path dir;
    static Apps.Running app;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        app = Apps.start(Apps.copy("faults", dir), Apps.Options.defaults().limits(Duration.ofSeconds(3), 256L << 20, 256, 1 << 20));
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

    /** Signals the micro's process: {@code pid} is what it reports, its pid in its own pid namespace when sandboxed. */
    private static void signal(long pid, String sig) throws Exception {
        long host = Procs.hostPid(pid);
        if (host > 0) new ProcessBuilder("kill", "-" + sig, Long.toString(host)).start().waitFor();
    }

    @Test
    void aMicroKilledMidRequestGives502AndStartsAgain() throws Exception {
        long before = pid("good");
        CompletableFuture<Response> pending = CompletableFuture.supplyAsync(() -> {
            try {
                return Http.get(app.port(), "/good/sleep?ms=10000");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(300);
        signal(before, "KILL");
        Response r = pending.get(5, TimeUnit.SECONDS); // well before the 10 s the micro meant to sleep
        assertEquals(502, r.status());
        assertEquals("micro \"good\" was killed by signal 9 (SIGKILL)\n", r.text());
        assertNotEquals(before, pid("good"), "the next request cold-starts it");
    }

    @Test
    void aStoppedMicroTimesOutWhileTheOthersAreServed() throws Exception {
        long stopped = pid("good");
        pid("bad");
        signal(stopped, "STOP");
        try {
            CompletableFuture<Response> pending = CompletableFuture.supplyAsync(() -> {
                try {
                    return Http.get(app.port(), "/good/x");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            for (int i = 0; i < 20; i++) {
                assertEquals(200, Http.get(app.port(), "/bad/fine").status());
                assertEquals(200, Http.get(app.port(), "/").status());
            }
            assertFalse(pending.isDone(), "the others were served while the stopped micro's request waited");
            Response r = pending.get(10, TimeUnit.SECONDS);
            assertEquals(504, r.status());
            assertTrue(r.text().contains("did not answer within 3s"), r.text());
            assertTrue(Procs.ends(stopped, 3000), "the stopped micro was killed");
        } finally {
            signal(stopped, "CONT");
        }
        assertEquals(200, Http.get(app.port(), "/good/after").status());
    }

    /** Each way of breaking HTTP ends in a 502 or a cut connection, never a hang; the gateway keeps serving. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/close-before", "/bad-status", "/garbage", "/bad-chunks", "/two-lengths", "/huge-head", "/upgrade"})
    void brokenResponsesBecome502(String path) throws Exception {
        Response r = Http.get(app.port(), "/bad" + path);
        assertEquals(502, r.status(), r.text());
        assertTrue(r.text().startsWith("micro \"bad\" "), r.text());
        assertEquals(200, Http.get(app.port(), "/bad/fine").status());
        assertEquals(200, Http.get(app.port(), "/good/ok").status());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/close-mid", "/short", "/short-open"})
    void responsesThatStopShortAreCut(String path) throws Exception {
        assertThrows(IOException.class, () -> Http.get(app.port(), "/bad" + path), "a response cut short is never passed on as whole");
        assertEquals(200, Http.get(app.port(), "/bad/fine").status());
    }

    @Test
    void aResponseLongerThanItsLengthIsTrimmedAndTheConnectionNotReused() throws Exception {
        Response r = Http.get(app.port(), "/bad/long");
        assertEquals(200, r.status());
        assertEquals("zzzzz", r.text());
        assertEquals("fine", Http.get(app.port(), "/bad/fine").text(), "the extra bytes never become the next response");
    }

    @Test
    void aMicroThatNeverAnswersGets504() throws Exception {
        Response r = Http.get(app.port(), "/bad/silent");
        assertEquals(504, r.status());
        assertEquals(200, Http.get(app.port(), "/bad/fine").status());
    }

    @Test
    void smugglingAttemptsAreRefusedAndNothingIsForwarded() throws Exception {
        long before = (Long) Json.object(Http.get(app.port(), "/good/count").text()).get("requests");
        String[] attempts = {
                "POST /good/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /good/smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST /good/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd",
                "POST /good/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
                "POST /good/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
                "POST /good/x HTTP/1.1\r\nHost: x\r\nContent-Length : 4\r\n\r\nabcd",
                "POST /good/x HTTP/1.1\r\nHost: x\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        };
        for (String a : attempts) {
            Response r = Http.send(app.port(), a, null);
            assertTrue(r.status() == 400 || r.status() == 501, a + " -> " + r.status());
        }
        long after = (Long) Json.object(Http.get(app.port(), "/good/count").text()).get("requests");
        assertEquals(before + 1, after, "none of the refused requests reached the micro");
    }

    @Test
    void traceAndConnectAre405() throws Exception {
        assertEquals(405, Http.send(app.port(), "TRACE /good/x HTTP/1.1\r\nHost: x\r\n\r\n", null).status());
        assertEquals(405, Http.send(app.port(), "CONNECT good:80 HTTP/1.1\r\nHost: good:80\r\n\r\n", null).status());
    }

    @Test
    void secretsAreRedactedEvenWhenAMicroPrintsThem() throws Exception {
        String key = Http.get(app.port(), "/good/env").text().strip().substring("DETA_API_KEY=".length());
        Http.get(app.port(), "/good/print-key");
        assertTrue(app.awaitLog("my key is [redacted]"), app::output);
        assertFalse(app.output().contains(key), app::output);
    }
}
