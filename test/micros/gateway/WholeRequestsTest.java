package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.runtime.RunConfig;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;
import micros.util.Json;

/**
 * The gateway reads and checks each request whole before a micro sees it, as Space's front end
 * did: against a micro on Python's http.server, which trusts whatever framing it is given.
 */
class WholeRequestsTest {
    // the execution timeout is also the cold-start limit: generous, so a busy machine starts python in time;
    // the read timeout is longer, so a body may take longer than the micro may run
    static final Duration TIMEOUT = Duration.ofSeconds(4), READ = Duration.ofSeconds(6);
    static final String OWNER = "Cookie: space_token=" + Apps.OWNER + "\r\n";
    @TempDir
    static Path dir;
    static Apps.Running app;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("python3");
        RunConfig.Limits limits = new RunConfig.Limits(TIMEOUT, 256L << 20, 256, (long) (5.5 * (1 << 20)), true).withRead(READ);
        app = Apps.start(Apps.copy("whole", dir), Apps.Options.defaults().isPublic(false).limits(limits));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Response owner(String target) throws IOException {
        return Http.send(app.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + OWNER + "Connection: close\r\n\r\n", null);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> seen() throws IOException {
        Response r = owner("/py/seen");
        assertEquals(200, r.status(), r.text());
        return (List<Object>) Json.parse(r.text());
    }

    private static long pid() throws IOException {
        return Long.parseLong(owner("/py/pid").text().strip());
    }

    @Test
    void aRequestHiddenInAGetBodyNeverRunsAndNeverAnswersSomeoneElse() throws Exception {
        // before: the micro read no body on GET, parsed it as a second request and ran the private /pid
        // without credentials; its answer went to the next request on that pooled connection
        for (String hidden : List.of("GET /pid?smuggled HTTP/1.1\r\nHost: x\r\n\r\n", "POST /__space/v0/actions?smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")) {
            byte[] body = hidden.getBytes(StandardCharsets.US_ASCII);
            Response r = Http.send(app.port(), "GET /py/health HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n", body);
            assertEquals(200, r.status());
            assertEquals("ok", r.text());
            for (int i = 0; i < 10; i++) {
                Response n = Http.get(app.port(), "/py/n?n=" + i);
                assertEquals(200, n.status());
                assertEquals(Integer.toString(i), n.text(), "each request gets its own answer");
            }
        }
        List<Object> seen = seen();
        assertFalse(seen.contains("GET /pid?smuggled"), seen.toString());
        assertFalse(seen.contains("POST /__space/v0/actions?smuggled"), seen.toString());
    }

    @Test
    void aChunkedBodyReachesTheMicroWholeWithALength() throws Exception {
        // before: forwarded as chunks, which http.server does not read; the chunk-size line became a request
        Response r = Http.send(app.port(), "POST /py/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: dropped\r\n\r\n".getBytes());
        assertEquals(200, r.status(), r.text());
        Map<String, Object> json = Json.object(r.text());
        assertEquals(5L, json.get("bytes"));
        assertEquals(sha256("abcde".getBytes()), json.get("sha256"));
        assertEquals(null, json.get("te"));
        assertEquals("close", json.get("connection"), "a connection that carried a body is not reused");
        for (int i = 0; i < 10; i++) assertEquals(Integer.toString(i), Http.get(app.port(), "/py/n?n=" + i).text());
    }

    @Test
    void aLargeChunkedUploadSpillsToDiskAndArrivesIntact() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(11).nextBytes(data);
        try (Socket s = socket()) {
            OutputStream out = s.getOutputStream();
            out.write("POST /py/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".getBytes());
            for (int off = 0; off < data.length; off += 70_000) {
                int n = Math.min(70_000, data.length - off);
                out.write((Integer.toHexString(n) + "\r\n").getBytes());
                out.write(data, off, n);
                out.write("\r\n".getBytes());
            }
            out.write("0\r\n\r\n".getBytes());
            Response r = Http.read(s.getInputStream(), false);
            assertEquals(200, r.status(), r.text());
            assertEquals(sha256(data), Json.object(r.text()).get("sha256"));
        }
    }

    @Test
    void aChunkedUploadOverThePayloadLimitGets413AndTheMicroNeverSeesIt() throws Exception {
        // before: 502 micro "py" Broken pipe
        int before = seen().size();
        try (Socket s = socket()) {
            OutputStream out = s.getOutputStream();
            out.write("POST /py/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes());
            byte[] piece = new byte[64 * 1024];
            try {
                for (int sent = 0; sent < (7 << 20); sent += piece.length) {
                    out.write((Integer.toHexString(piece.length) + "\r\n").getBytes());
                    out.write(piece);
                    out.write("\r\n".getBytes());
                }
            } catch (IOException refusedEarly) {
                // the gateway answered 413 and stopped reading
            }
            Response r = Http.read(s.getInputStream(), false);
            assertEquals(413, r.status());
            assertEquals("the request body is over the 5.5 MiB payload limit (Space's limit)\n", r.text());
        }
        assertEquals(before + 1, seen().size(), "only the /seen request itself reached the micro");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffffffffffffffff1", "-5", "0x5", "5 5", "", "g"})
    void malformedChunkSizesGet400AndReachNoMicro(String size) throws Exception {
        // before: they reached the micro as a head and ended in "500 no response"
        int before = seen().size();
        Response r = Http.send(app.port(), "POST /py/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", (size + "\r\nabcde\r\n0\r\n\r\n").getBytes());
        assertEquals(400, r.status(), r.text());
        assertEquals(before + 1, seen().size());
    }

    @Test
    void aSlowBodyDoesNotCountAgainstTheMicrosExecutionTime() throws Exception {
        // before: the micro was killed at its 20 s timeout while the body trickled in, and the owner's request got 502
        long pid = pid();
        try (Socket s = socket()) {
            OutputStream out = s.getOutputStream();
            out.write("POST /py/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\nabc".getBytes());
            out.flush();
            CompletableFuture<Response> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    return owner("/py/sleep?ms=300");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(TIMEOUT.toMillis() + 500); // longer than the micro may run
            out.write("def".getBytes());
            Response r = Http.read(s.getInputStream(), false);
            assertEquals(200, r.status(), r.text());
            assertEquals(6L, Json.object(r.text()).get("bytes"));
            assertEquals(200, inFlight.get().status());
        }
        assertEquals(pid, pid(), "the micro was never killed");
    }

    @Test
    void aBodyThatDoesNotArriveInTimeGets408AndNoMicroSeesIt() throws Exception {
        int before = seen().size();
        try (Socket s = socket()) {
            s.getOutputStream().write("POST /py/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc".getBytes());
            Response r = Http.read(s.getInputStream(), false);
            assertEquals(408, r.status());
            assertTrue(r.text().startsWith("the request body did not arrive within"), r.text());
        }
        assertEquals(before + 1, seen().size());
    }

    @Test
    void earlyAnswersCloseTheConnectionInsteadOfReadingTheBody() throws Exception {
        // 401 (private route), 405 (static file), 413 (by its length): answered at once, then the end of the stream
        String[] heads = {
                "POST /py/pid HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n",
                "POST /index.html HTTP/1.1\r\nHost: x\r\n" + OWNER + "Content-Length: 100000000\r\n\r\n",
                "POST /py/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"};
        int[] statuses = {401, 405, 413};
        for (int i = 0; i < heads.length; i++) {
            try (Socket s = socket()) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write((heads[i] + "a few body bytes").getBytes());
                InputStream in = s.getInputStream();
                Response r = Http.read(in, false);
                assertEquals(statuses[i], r.status(), r.text());
                assertEquals("close", r.header("connection"));
                assertEquals(-1, in.read(), "the gateway closed instead of draining 100 MB");
            }
        }
    }

    @Test
    void aMicroThatDropsIdleConnectionsAfterAnErrorDoesNotBreakTheNextRequest() throws Exception {
        // before: the next request went to the dropped pooled connection and got "502 Broken pipe"
        for (int i = 0; i < 20; i++) {
            Response boom = Http.get(app.port(), "/py/boom");
            assertEquals(500, boom.status());
            Response next = Http.send(app.port(), "POST /py/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", "hi".getBytes());
            assertEquals(200, next.status(), next.text());
            Response get = Http.get(app.port(), "/py/health");
            assertEquals(200, get.status(), get.text());
        }
    }

    @Test
    void pipelinedRequestsAfterABodyAreServedInOrder() throws Exception {
        try (Socket s = socket()) {
            s.getOutputStream().write(("POST /py/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                    + "GET /py/n?n=7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes());
            InputStream in = s.getInputStream();
            Response first = Http.read(in, false);
            assertEquals(2L, Json.object(first.text()).get("bytes"));
            assertEquals("7", Http.read(in, false).text());
        }
    }

    private static Socket socket() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port());
        s.setSoTimeout(30_000);
        return s;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
