package micros.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import micros.data.tls.LocalCa;
import micros.support.Http;

/** One port, TLS and plain HTTP: the first byte decides; TLS is relayed to the unchanged plain path. */
class TlsServerTest {
    static Server server;
    static SSLContext client;
    static LocalCa ca;

    @BeforeAll
    static void start() throws Exception {
        ca = LocalCa.load().cover(List.of("127.0.0.2"), System.err::println); // the names a run listens by are given when it starts
        client = trusting(ca);
        server = Server.start("127.0.0.1", 0, ex -> {
            long n = 0;
            byte[] buf = new byte[8192];
            InputStream in = ex.body();
            for (int k; (k = in.read(buf)) > 0; ) n += k;
            ex.send(200, "text/plain", (ex.method() + " " + ex.rawPath() + " " + n).getBytes(StandardCharsets.UTF_8));
        }, new Server.Settings(64, Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), 0), (ex, e) -> { }, ca::serverContext);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.stop();
    }

    static SSLContext trusting(LocalCa ca) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = new java.io.ByteArrayInputStream(ca.caPem().getBytes(StandardCharsets.US_ASCII))) { // the CA this run read
            ks.setCertificateEntry("micros", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static SSLSocket tls(String host) throws IOException {
        SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(host, server.port());
        var p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
        s.setSSLParameters(p);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void plainAndTlsOnOnePortWithKeepAlive() throws Exception {
        assertEquals("GET /plain 0", Http.get(server.port(), "/plain").text());
        for (String host : new String[] {"localhost", "127.0.0.1"}) {
            try (SSLSocket s = tls(host)) {
                OutputStream out = s.getOutputStream();
                for (int i = 0; i < 50; i++) { // one connection, many requests
                    out.write(("GET /tls/" + i + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    assertEquals("GET /tls/" + i + " 0", Http.read(s.getInputStream(), false).text());
                }
            }
        }
    }

    @Test
    void largeBodiesCrossTheBridgeWhole() throws Exception {
        byte[] body = new byte[3 << 20];
        try (SSLSocket s = tls("localhost")) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            assertEquals("POST /up " + body.length, Http.read(s.getInputStream(), false).text());
        }
    }

    @Test
    void aBrokenHandshakeEndsOnlyThatConnection() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(new byte[] {0x16, 3, 1, 0, 5, 'h', 'e', 'l', 'l', 'o'}); // a TLS record that is no ClientHello
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[512];
            int n;
            try {
                while ((n = in.read(buf)) > 0) assertTrue(buf[0] == 0x15, "only a TLS alert comes back, never HTTP"); // alert record
            } catch (IOException reset) {
                // closed: fine
            }
        }
        assertEquals("GET /after 0", Http.get(server.port(), "/after").text());
    }

    @Test
    void aClientThatDoesNotTrustTheCaIsRefused() throws Exception {
        SSLContext jdkDefault = SSLContext.getInstance("TLS");
        jdkDefault.init(null, null, null); // the JDK's CAs only
        try (SSLSocket s = (SSLSocket) jdkDefault.getSocketFactory().createSocket("localhost", server.port())) {
            s.setSoTimeout(10_000);
            assertThrows(javax.net.ssl.SSLHandshakeException.class, s::startHandshake);
        }
    }

    @Test
    void aGatewayOnAnotherAddressGetsACertificateNamingIt() throws Exception {
        Server other = Server.start("127.0.0.2", 0, ex -> ex.send(200, "text/plain", "other".getBytes(StandardCharsets.UTF_8)),
                Server.Settings.DEFAULT, (ex, e) -> { }, () -> ca.serverContext("127.0.0.2"));
        try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.2", other.port())) {
            var p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // 127.0.0.2 must be in the certificate
            s.setSSLParameters(p);
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("other", Http.read(s.getInputStream(), false).text());
        } finally {
            other.stop();
        }
        assertTrue(java.nio.file.Files.readString(ca.dir().resolve("names")).contains("\nname 127.0.0.2\n"), "the CA's names, kept for the next run");
    }

    @Test
    void aServerWithoutTlsAnswersAHandshakeAsBadHttp() throws Exception {
        Server plain = Server.start("127.0.0.1", 0, ex -> ex.send(200, "text/plain", new byte[0]), Server.Settings.DEFAULT, (ex, e) -> { });
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), plain.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(new byte[] {0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5, '\r', '\n', '\r', '\n'});
            assertEquals(400, Http.read(s.getInputStream(), false).status());
        } finally {
            plain.stop();
        }
    }
}
