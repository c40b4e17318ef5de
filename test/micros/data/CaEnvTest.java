package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.data.tls.LocalCa;

/**
 * What a micro's HTTPS clients are told to trust (issue 29): OpenSSL reads SSL_CERT_FILE whole
 * whenever a client makes a TLS context (Python's http.client: once per connection, so three
 * times per Drive put), so it names micros' CA alone and the system's CAs are found one by one
 * in SSL_CERT_DIR. Checked with the clients themselves: Python's default context and openssl.
 */
class CaEnvTest {
    @TempDir
    Path dir;

    @Test
    void pythonLoadsMicrosCaAloneAndStillTrustsTheSystemsCas() throws Exception {
        Path certs = Path.of("/etc/ssl/certs");
        assumeTrue(Files.isDirectory(certs) && Files.isExecutable(Path.of("/usr/bin/python3")) && Files.isExecutable(Path.of("/usr/bin/openssl")),
                "needs /etc/ssl/certs, /usr/bin/python3 and /usr/bin/openssl");
        Path root;
        try (Stream<Path> s = Files.list(certs)) {
            root = s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{8}\\.0")).findFirst().orElse(null);
        }
        assumeTrue(root != null, "the system's CA folder has no hashed links: the bundle is used instead");
        Path bundle = LocalCa.load().writeBundle(dir.resolve("ca-bundle.pem"));
        Files.copy(LocalCa.load().caCert(), dir.resolve("micros-ca.pem"));
        Map<String, String> env = DataServer.caEnv(bundle);
        assertEquals(dir.resolve("micros-ca.pem").toString(), env.get("SSL_CERT_FILE"));
        assertEquals(certs.toString(), env.get("SSL_CERT_DIR"));
        assertEquals(bundle.toString(), env.get("REQUESTS_CA_BUNDLE"), "requests takes one file: the whole bundle");

        // before: SSL_CERT_FILE was the bundle, and every context read its ~145 CAs (22 ms each here)
        String loaded = run(env, "/usr/bin/python3", "-c", "import ssl; print(ssl.create_default_context().cert_store_stats()['x509_ca'])");
        assertEquals("1", loaded.strip(), "a new context reads micros' CA alone");
        String verified = run(env, "/usr/bin/openssl", "verify", root.toRealPath().toString());
        assertTrue(verified.strip().endsWith(": OK"), "a system CA is still trusted, found in SSL_CERT_DIR: " + verified);
    }

    private static String run(Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
