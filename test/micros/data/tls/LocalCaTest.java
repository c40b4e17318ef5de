package micros.data.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.http.Server;
import micros.support.Apps;

/**
 * micros' CA can vouch only for localhost, *.localhost, the loopback addresses and the names runs
 * listen by, and keeps no private key of its own. Checked with the clients micros serve: OpenSSL's
 * s_client, curl, Python's ssl and Node's tls, each trusting the CA alone: a server certificate
 * for those names verifies; one this CA signed for another name (alone, or beside localhost) is
 * refused with "permitted subtree violation".
 */
class LocalCaTest {
    static final List<String> EXTRA = List.of("myhost.test", "10.1.2.3"); // as --host / --data-name would add them

    @TempDir
    Path dir;

    /** A TLS server on {@code host} serving {@code ctx}; answers "ok". */
    private static Server serve(String host, SSLContext ctx) throws IOException {
        return Server.start(host, 0, ex -> ex.send(200, "text/plain", "ok".getBytes(StandardCharsets.US_ASCII)), Server.Settings.DEFAULT,
                (ex, e) -> { }, () -> ctx);
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish");
        }
        return out + "\nexit " + p.exitValue();
    }

    static final String PYTHON = """
            import socket, ssl, sys
            host, port, name, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
            try:
                with ssl.create_default_context(cafile=ca).wrap_socket(socket.create_connection((host, port), timeout=10), server_hostname=name):
                    print("verified")
            except ssl.SSLError as e:
                print("refused:", e)
            """;

    static final String NODE = """
            const tls = require("tls"), fs = require("fs"), net = require("net");
            const [host, port, name, ca] = process.argv.slice(2);
            const s = tls.connect({host, port: Number(port), ca: fs.readFileSync(ca), servername: net.isIP(name) ? undefined : name,
                checkServerIdentity: (h, cert) => tls.checkServerIdentity(name, cert)}, () => { console.log("verified"); s.end(); });
            s.on("error", (e) => console.log("refused: " + e.message));
            """;

    /** What each client says when connecting to {@code host:port} and checking the certificate for {@code name}. */
    private List<String> clients(String host, int port, String name, Path ca) throws Exception {
        List<String> said = new ArrayList<>();
        boolean ip = name.contains(":") || name.matches("[0-9.]+");
        String url = "https://" + (name.contains(":") ? "[" + name + "]" : name) + ":" + port + "/";
        String to = host.contains(":") ? "[" + host + "]" : host;
        said.add("openssl: " + run(List.of("openssl", "s_client", "-connect", to + ":" + port, "-CAfile", ca.toString(), "-verify_return_error",
                ip ? "-verify_ip" : "-verify_hostname", name, "-servername", ip ? "x.invalid" : name)));
        said.add("curl: " + run(List.of("curl", "-sS", "--max-time", "10", "--cacert", ca.toString(), "--connect-to",
                (name.contains(":") ? "[" + name + "]" : name) + ":" + port + ":" + to + ":" + port, url)));
        Path py = dir.resolve("client.py"), js = dir.resolve("client.js");
        Files.writeString(py, PYTHON);
        Files.writeString(js, NODE);
        said.add("python: " + run(List.of("python3", py.toString(), host, Integer.toString(port), name, ca.toString())));
        said.add("node: " + run(List.of("node", js.toString(), host, Integer.toString(port), name, ca.toString())));
        return said;
    }

    private static boolean verified(String said) {
        return said.startsWith("openssl: ") ? said.contains("Verify return code: 0 (ok)")
                : said.startsWith("curl: ") ? said.contains("ok\nexit 0") : said.contains("verified");
    }

    @Test
    void theCaVouchesForLocalhostTheLoopbackAddressesAndTheRunsNamesAndKeepsNoKeyOfItsOwn() throws Exception {
        Apps.require("openssl", "curl", "python3", "node");
        Path caDir = dir.resolve("ca");
        List<String> notices = new ArrayList<>();
        LocalCa ca = LocalCa.at(caDir).cover(List.of("127.0.0.1", "0.0.0.0", EXTRA.get(0), "[::]", EXTRA.get(1)), notices::add);
        assertEquals(List.of(), notices, "a first CA is no news");

        String text = run(List.of("openssl", "x509", "-in", ca.caCert().toString(), "-noout", "-text"));
        for (String line : List.of("X509v3 Name Constraints: critical", "Permitted:", "DNS:localhost", "IP:127.0.0.0/255.0.0.0",
                "IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "DNS:myhost.test", "IP:10.1.2.3/255.255.255.255",
                "X509v3 Extended Key Usage", "TLS Web Server Authentication", "CA:TRUE, pathlen:0"))
            assertTrue(text.contains(line), line + " in:\n" + text);

        // the CA's private key is not kept: only the server's key is, readable by the owner alone
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> list = Files.list(caDir)) {
            list.forEach(p -> files.add(p.getFileName().toString()));
        }
        assertEquals(new TreeSet<>(Set.of(".lock", "micros-ca.pem", "names", "server-chain.pem", "server-key.pem")), files);
        for (String f : files)
            if (!f.equals("server-key.pem")) assertFalse(Files.readString(caDir.resolve(f)).contains("PRIVATE KEY"), f);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir.resolve("server-key.pem"))));

        Server v4 = serve("127.0.0.1", ca.serverContext()), v6 = serve("::1", ca.serverContext());
        try {
            for (String name : List.of("localhost", "127.0.0.1", "myhost.test", "10.1.2.3"))
                for (String said : clients("127.0.0.1", v4.port(), name, ca.caCert())) assertTrue(verified(said), name + ": " + said);
            for (String said : clients("::1", v6.port(), "::1", ca.caCert())) assertTrue(verified(said), "::1: " + said);
            for (String said : clients("127.0.0.1", v4.port(), "other.test", ca.caCert()))
                assertFalse(verified(said), "a name the certificate does not hold: " + said);
        } finally {
            v4.stop();
            v6.stop();
        }
    }

    /** What every run gets through the public entry (load): a constrained CA, and no CA key on disk. */
    @Test
    void theCaEveryRunLoadsIsConstrainedAndItsKeyIsNotOnDisk() throws Exception {
        Apps.require("openssl");
        LocalCa ca = LocalCa.load(dir.resolve("plain"));
        String text = run(List.of("openssl", "x509", "-in", ca.caCert().toString(), "-noout", "-text"));
        assertTrue(text.contains("X509v3 Name Constraints: critical") && text.contains("DNS:localhost") && text.contains("IP:127.0.0.0/255.0.0.0"), text);
        try (Stream<Path> walk = Files.walk(ca.dir())) {
            for (Path p : (Iterable<Path>) walk::iterator)
                if (Files.isRegularFile(p) && !p.getFileName().toString().equals("server-key.pem"))
                    assertFalse(p.toString().endsWith(".p12") || Files.readString(p, StandardCharsets.ISO_8859_1).contains("PRIVATE KEY"), "a key in " + p);
        }
    }

    /** With the CA's key kept for the test (LocalCa deletes it), certificates for other names are signed and refused. */
    @Test
    void aCertificateThisCaSignedForAnotherNameIsRefusedByEveryClient() throws Exception {
        Apps.require("openssl", "curl", "python3", "node");
        Path work = Files.createDirectories(dir.resolve("work"));
        LocalCa.makeIn(work, new TreeSet<>(EXTRA));
        Path caPem = work.resolve("micros-ca.pem");
        X509Certificate caCert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caPem)));
        record Signed(String san, String checkedAs) {}
        List<Signed> outside = List.of(new Signed("dns:evil.example", "evil.example"),
                new Signed("dns:localhost,dns:evil.example,ip:127.0.0.1", "localhost"), // the name checked is in it: the constraints refuse the whole certificate
                new Signed("ip:127.0.0.1,ip:8.8.8.8", "127.0.0.1"),
                new Signed("dns:myhost.test.evil.example", "myhost.test.evil.example"));
        Server good = serve("127.0.0.1", LocalCa.context(Files.readString(work.resolve("server-key.pem")), Files.readString(work.resolve("server-chain.pem"))));
        try {
            for (String said : clients("127.0.0.1", good.port(), "localhost", caPem)) assertTrue(verified(said), "the same CA's own certificate: " + said);
        } finally {
            good.stop();
        }
        int i = 0;
        for (Signed s : outside) {
            Path w = Files.createDirectories(dir.resolve("evil" + i++));
            Process key = LocalCa.serverKeyPair(w);
            assertEquals(0, key.waitFor(), new String(key.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            LocalCa.signServer(w, work.resolve("ca.p12").toString(), caCert, s.san());
            Server evil = serve("127.0.0.1", LocalCa.context(Files.readString(w.resolve("server-key.pem")), Files.readString(w.resolve("server-chain.pem"))));
            try {
                for (String said : clients("127.0.0.1", evil.port(), s.checkedAs(), caPem)) {
                    assertFalse(verified(said), s.san() + ": " + said);
                    assertTrue(said.contains("permitted subtree violation"), s.san() + ", refused for its names: " + said);
                }
            } finally {
                evil.stop();
            }
        }
    }

    /** A CA an older micros made could vouch for any site: it is replaced, said once; a new name makes a new CA that keeps the old names. */
    @Test
    void anUnconstrainedCaIsReplacedOnceAndANewNameMakesANewCa() throws Exception {
        Path caDir = Files.createDirectories(dir.resolve("old"));
        // the layout an older micros left: its CA's key, a CA without constraints, a certificate per host
        run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "ca", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=micros local CA,O=micros", "-ext", "bc:c=ca:true,pathlen:0",
                "-keystore", caDir.resolve("ca.p12").toString(), "-storetype", "PKCS12", "-storepass", "micros-local-ca", "-keypass", "micros-local-ca"));
        String exported = run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-exportcert", "-rfc", "-alias", "ca",
                "-keystore", caDir.resolve("ca.p12").toString(), "-storepass", "micros-local-ca"));
        String oldCa = exported.substring(exported.indexOf("-----BEGIN"), exported.indexOf("-----END CERTIFICATE-----") + 25) + "\n";
        Files.writeString(caDir.resolve("micros-ca.pem"), oldCa);
        Files.writeString(caDir.resolve("server-chain.pem"), oldCa);
        Files.writeString(caDir.resolve("server-key.pem"), "old\n");
        Files.createDirectories(caDir.resolve("hosts/127.0.0.2"));
        Files.writeString(caDir.resolve("hosts/127.0.0.2/server-key.pem"), "old\n");

        List<String> notices = new ArrayList<>();
        LocalCa ca = LocalCa.at(caDir).cover(List.of("localhost"), notices::add);
        assertEquals(1, notices.size(), notices.toString());
        assertTrue(notices.get(0).startsWith("replaced micros' local certificate authority in " + caDir
                + ": the one an earlier micros made could vouch for any site; the new one vouches only for localhost, *.localhost, 127.0.0.0/8, ::1,"
                + " and its private key is not kept. If you imported " + caDir.resolve("micros-ca.pem") + " into a browser"), notices.get(0));
        assertFalse(Files.exists(caDir.resolve("ca.p12")) || Files.exists(caDir.resolve("hosts")), "the old CA's key and certificates are gone");
        assertTrue(run(List.of("openssl", "x509", "-in", ca.caCert().toString(), "-noout", "-text")).contains("X509v3 Name Constraints: critical"));
        assertFalse(Files.readString(ca.caCert()).equals(oldCa));

        notices.clear();
        LocalCa.at(caDir).cover(List.of("127.0.0.1", "::1"), notices::add);
        assertEquals(List.of(), notices, "said once: the next run finds a constrained CA");
        String first = Files.readString(ca.caCert());

        LocalCa wider = LocalCa.at(caDir).cover(List.of("myhost.test"), notices::add);
        assertEquals(1, notices.size(), notices.toString());
        assertTrue(notices.get(0).startsWith("made micros' local certificate authority in " + caDir + " anew to vouch for myhost.test too"
                + " (a CA's names are fixed when it is made); it vouches for localhost, *.localhost, 127.0.0.0/8, ::1, myhost.test."), notices.get(0));
        assertFalse(Files.readString(ca.caCert()).equals(first), "a new CA");
        assertEquals(first, ca.caPem(), "a run that read the old one keeps serving with it");
        notices.clear();
        LocalCa.at(caDir).cover(List.of("10.1.2.3"), notices::add);
        assertTrue(notices.get(0).contains("it vouches for localhost, *.localhost, 127.0.0.0/8, ::1, 10.1.2.3, myhost.test."), "names are kept: " + notices);
        notices.clear();
        LocalCa.at(caDir).cover(List.of("myhost.test"), notices::add);
        assertEquals(List.of(), notices);
        assertTrue(wider.serverContext(List.of("myhost.test")) != null);
    }

    /** The until line is read back exactly as Instant.toString wrote it; anything else makes the CA anew (null). */
    @Test
    void theUntilLineReadsBackWhatInstantWrote() {
        for (String text : List.of("2027-12-07T17:22:47Z", "2026-02-28T00:00:00Z", "2028-02-29T23:59:59Z", "2027-01-01T00:00:00.5Z",
                "2027-06-30T12:34:56.123456789Z", "1970-01-01T00:00:00Z"))
            assertEquals(java.time.Instant.parse(text), LocalCa.instant(text), text);
        for (String bad : List.of("", "2027-12-07", "2027-12-07T17:22:47", "2027-13-07T17:22:47Z", "2027-02-30T17:22:47Z", "2027-12-07T24:00:00Z",
                "2027-12-07T17:22:47.Z", "2027-12-07 17:22:47Z", "+2027-12-07T17:22:47Z", "2027-12-07T17:22:4xZ", "2027-12-07T17:22:47+01:00"))
            assertEquals(null, LocalCa.instant(bad), bad);
    }
}
