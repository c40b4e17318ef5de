package micros.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Assumptions;

import micros.support.Apps;
import micros.support.Http;

/** Test helpers: raw HTTPS that trusts only micros' CA, the python SDK copied into a fixture, the fixture's code runner. */
final class DataClient {
    static final Path SDK = (System.getenv("DETA_SDK") != null ? Path.of(System.getenv("DETA_SDK"))
            : Path.of("..", "shared", "sdk", "deta-python")).toAbsolutePath().normalize();
    static final String OWNER = "Cookie: space_token=" + Apps.OWNER + "\r\n";

    private DataClient() {}

    /** A TLS context that trusts micros' CA and nothing else (so a pass proves the chain). */
    static SSLContext trusting(Path caCert) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caCert)) {
            ks.setCertificateEntry("micros", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** One request over HTTPS to 127.0.0.1:port, host name checked as "localhost". */
    static Http.Response https(SSLContext ctx, int port, String head, byte[] body) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", port)) {
            var p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) out.write(body);
            out.flush();
            return Http.read(s.getInputStream(), head.startsWith("HEAD "));
        }
    }

    /** Copies the official python SDK into the fixture's micro (skips the test when it is not there). */
    static void copySdk(Path microDir) throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(SDK.resolve("deta")), "the deta python SDK is not at " + SDK + " (set DETA_SDK): this test runs the real SDK");
        Path to = microDir.resolve("sdk");
        try (Stream<Path> walk = Files.walk(SDK.resolve("deta"))) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(SDK.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }

    /** Runs python code in the fixture's micro (as the owner); returns the JSON of its `result`. */
    static String run(int port, String code) throws IOException {
        byte[] body = code.getBytes(StandardCharsets.UTF_8);
        Http.Response r = Http.send(port, "POST /run HTTP/1.1\r\nHost: localhost\r\n" + OWNER + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n", body);
        if (r.status() != 200) throw new AssertionError("the micro failed (" + r.status() + "):\n" + r.text());
        return r.text();
    }

    static List<String> files(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isRegularFile).forEach(p -> out.add(root.relativize(p).toString()));
        }
        return out;
    }
}
