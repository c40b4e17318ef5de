package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.runtime.RunConfig;
import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/** Large bodies stream through both ways (with the payload limit raised, as --payload would). */
class StreamingTest {
    @TempDir
    static Path dir;
    static Apps.Running app;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        RunConfig.Limits big = new RunConfig.Limits(Duration.ofSeconds(60), 0, 0, 200L << 20, false);
        app = Apps.start(Apps.copy("routing", dir), Apps.Options.defaults().limits(big));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    /** Reads a response body without keeping it, returning its length. */
    private static long drain(String target) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
            s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes());
            InputStream in = s.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            byte[] buf = new byte[65536];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) total += n;
            if (head.toLowerCase().contains("transfer-encoding: chunked")) return -total; // framing bytes included
            return total;
        }
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) sb.append((char) in.read());
        return sb.toString();
    }

    @Test
    void fiftyMegabyteResponseStreams() throws Exception {
        assertEquals(50L << 20, drain("/api/big?mb=50"));
    }

    @Test
    void chunkedResponseIsReChunked() throws Exception {
        Http.Response r = Http.get(app.port(), "/api/big?mb=3&chunked=1");
        assertEquals(200, r.status());
        assertEquals(3 << 20, r.body().length);
        assertEquals("chunked", r.header("transfer-encoding"));
    }

    @Test
    void chunkedRequestBodyReachesTheMicroWholeWithALength() throws Exception {
        byte[] data = new byte[12 << 20];
        new Random(7).nextBytes(data);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
            OutputStream out = s.getOutputStream();
            out.write("POST /api/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".getBytes());
            for (int off = 0; off < data.length; off += 100_000) {
                int n = Math.min(100_000, data.length - off);
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(data, off, n);
                out.write("\r\n".getBytes());
            }
            out.write("0\r\n\r\n".getBytes());
            Http.Response r = Http.read(s.getInputStream(), false);
            assertEquals(200, r.status(), r.text());
            Map<String, Object> json = Json.object(r.text());
            assertEquals((long) data.length, json.get("bytes"));
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)), json.get("sha256"));
            assertEquals(null, json.get("te"), "de-chunked by the gateway");
            assertEquals(String.valueOf(data.length), json.get("cl"), "forwarded with Content-Length, as Space's front end did");
        }
    }

    @Test
    void contentLengthRequestBodyArrivesWhole() throws Exception {
        byte[] data = new byte[5 << 20];
        new Random(3).nextBytes(data);
        Http.Response r = Http.send(app.port(), "POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + data.length + "\r\nConnection: close\r\n\r\n", data);
        Map<String, Object> json = Json.object(r.text());
        assertEquals((long) data.length, json.get("bytes"));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)), json.get("sha256"));
    }
}
