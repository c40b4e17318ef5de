package micros.data.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import micros.util.UserError;

/**
 * micros' local certificate authority, made once per user with the JDK's keytool (no library):
 * a CA whose certificate the micros (and the owner's browser) trust, and a server certificate it
 * signed for localhost, 127.0.0.1 and ::1. Private keys stay in files only the owner can read.
 * Kept in MICROS_CA_DIR, else $XDG_DATA_HOME/micros/ca, else ~/.local/share/micros/ca: one CA
 * for every project, so a browser is told to trust it once.
 */
public final class LocalCa {
    private static final String PASS = "micros-local-ca"; // the files' mode protects the keys, not this
    private static final String SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
    private final Path dir;

    private LocalCa(Path dir) {
        this.dir = dir;
    }

    public static Path defaultDir() {
        String o = System.getenv("MICROS_CA_DIR");
        if (o != null && !o.isEmpty()) return Path.of(o);
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("micros").resolve("ca");
    }

    /** The CA in its usual place, made on first use (takes a few seconds, once). */
    public static LocalCa load() {
        return load(defaultDir());
    }

    /**
     * The per-user CA, or when that place cannot be written (a user without a home, a read-only
     * home) one in {@code fallback} (the project's state folder).
     */
    public static LocalCa loadOr(Path fallback) {
        Path dir = defaultDir();
        if (!Files.exists(dir.resolve("server-key.pem")) && System.getenv("MICROS_CA_DIR") == null) {
            try {
                Files.createDirectories(dir);
                if (!Files.isWritable(dir)) dir = fallback;
            } catch (IOException | SecurityException e) {
                dir = fallback;
            }
        }
        return load(dir);
    }

    public static LocalCa load(Path dir) {
        LocalCa ca = new LocalCa(dir);
        if (!Files.exists(ca.serverKeys())) {
            try {
                ca.make();
            } catch (IOException e) {
                throw UserError.runtime("cannot make micros' local certificate authority in " + dir + " (" + e.getMessage()
                        + "): make the folder writable, or point MICROS_CA_DIR at a writable folder");
            }
        }
        return ca;
    }

    public Path dir() {
        return dir;
    }

    /** The CA's certificate (PEM): what a browser or a tool is told to trust. */
    public Path caCert() {
        return dir.resolve("micros-ca.pem");
    }

    /** The server's private key (PKCS#8, PEM), readable by the owner only; its presence means the CA is complete. */
    private Path serverKeys() {
        return dir.resolve("server-key.pem");
    }

    private Path serverChain() {
        return dir.resolve("server-chain.pem");
    }

    /** The system's CAs followed by micros' CA, as PEM: what the micros get as SSL_CERT_FILE and the like. */
    public String bundle() throws IOException {
        StringBuilder b = new StringBuilder();
        Path system = Path.of(SYSTEM_BUNDLE);
        if (Files.isReadable(system)) {
            String s = Files.readString(system, StandardCharsets.ISO_8859_1);
            b.append(s);
            if (!s.endsWith("\n")) b.append('\n');
        }
        b.append("# micros local CA\n").append(Files.readString(caCert(), StandardCharsets.US_ASCII));
        return b.toString();
    }

    /** Writes {@link #bundle} to a file readable by all (certificates only, no keys). */
    public Path writeBundle(Path file) throws IOException {
        Files.writeString(file, bundle(), StandardCharsets.ISO_8859_1);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    /** A TLS context serving the server certificate (with the CA in its chain). */
    public SSLContext serverContext() {
        return context(serverKeys(), serverChain());
    }

    /**
     * A TLS context whose certificate also names {@code host} (the address the gateway listens on,
     * when it is neither a loopback name nor a wildcard); that certificate is signed once per host.
     */
    public SSLContext serverContext(String host) {
        return serverContext(java.util.Arrays.asList(host));
    }

    /**
     * A TLS context whose certificate also names every one of {@code hosts} that is neither a
     * loopback name nor a wildcard (the gateway's address, the data server's, the DNS name remote
     * micros reach it by); signed once per set of names.
     */
    public SSLContext serverContext(List<String> hosts) {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (String host : hosts) {
            String h = host == null ? "" : host.strip();
            if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
            if (h.isEmpty() || List.of("localhost", "127.0.0.1", "::1", "0.0.0.0", "::").contains(h.toLowerCase(java.util.Locale.ROOT))) continue;
            names.add(h);
        }
        if (names.isEmpty()) return serverContext();
        Path hostDir = dir.resolve("hosts").resolve(String.join("+", names).replaceAll("[^A-Za-z0-9.+-]", "_"));
        if (!Files.exists(hostDir.resolve("server-key.pem"))) {
            try {
                makeHost(List.copyOf(names), hostDir);
            } catch (IOException e) {
                throw UserError.runtime("cannot sign a certificate for " + String.join(", ", names) + " in " + dir + " (" + e.getMessage() + ")");
            }
        }
        return context(hostDir.resolve("server-key.pem"), hostDir.resolve("server-chain.pem"));
    }

    private SSLContext context(Path keyFile, Path chainFile) {
        try {
            String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
            List<X509Certificate> chain = new ArrayList<>();
            try (InputStream in = Files.newInputStream(chainFile)) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) chain.add((X509Certificate) c);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            // no trust managers: clients are not asked for certificates, and the JDK's CA list need not be read
            ctx.init(new KeyManager[] {new FixedKeyManager(key, chain.toArray(new X509Certificate[0]))}, new TrustManager[0], null);
            return ctx;
        } catch (IOException | java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw UserError.runtime("cannot read micros' TLS certificate in " + dir + " (" + e.getMessage()
                    + "): delete that folder and micros makes a new one (browsers must then trust the new CA)");
        }
    }

    // ---- making it, once ----

    @SuppressWarnings("try") // the lock is held by the try, never used in it
    private void make() throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        try (FileChannel lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) { // two micros starting at once make one CA
            if (Files.exists(serverKeys())) return;
            Path work = Files.createTempDirectory(dir, "making-");
            try {
                makeIn(work);
                Files.move(work.resolve("ca.p12"), dir.resolve("ca.p12"), StandardCopyOption.ATOMIC_MOVE);
                Files.move(work.resolve("micros-ca.pem"), caCert(), StandardCopyOption.ATOMIC_MOVE);
                Files.move(work.resolve("server-chain.pem"), serverChain(), StandardCopyOption.ATOMIC_MOVE);
                Files.move(work.resolve("server-key.pem"), serverKeys(), StandardCopyOption.ATOMIC_MOVE); // last: its presence means done
            } finally {
                try (var files = Files.list(work)) {
                    for (Path p : (Iterable<Path>) files::iterator) Files.deleteIfExists(p);
                }
                Files.deleteIfExists(work);
            }
        }
    }

    private static final String LOOPBACK_NAMES = "dns:localhost,ip:127.0.0.1,ip:::1";

    private static void makeIn(Path w) throws IOException {
        String ca = w.resolve("ca.p12").toString();
        // the CA's key pair and the server's at once: each keytool is a JVM start
        Process a = keytool(w, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=micros local CA,O=micros", "-validity", "3650", "-ext", "bc:c=ca:true,pathlen:0", "-ext", "ku:c=keyCertSign,cRLSign",
                "-keystore", ca, "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
        Process b = serverKeyPair(w);
        await(a, "making the CA's key");
        await(b, "making the server's key");
        try {
            X509Certificate caCert = (X509Certificate) read(ca).getCertificate("ca");
            Files.writeString(w.resolve("micros-ca.pem"), pem(caCert), StandardCharsets.US_ASCII);
            signServer(w, ca, caCert, LOOPBACK_NAMES);
            Files.setPosixFilePermissions(Path.of(ca), PosixFilePermissions.fromString("rw-------"));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @SuppressWarnings("try") // the lock is held by the try, never used in it
    private void makeHost(List<String> hosts, Path hostDir) throws IOException {
        Files.createDirectories(hostDir.getParent());
        try (FileChannel lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            if (Files.exists(hostDir.resolve("server-key.pem"))) return;
            Path work = Files.createTempDirectory(dir, "making-");
            try {
                await(serverKeyPair(work), "making the server's key");
                X509Certificate caCert = (X509Certificate) read(dir.resolve("ca.p12").toString()).getCertificate("ca");
                StringBuilder san = new StringBuilder(LOOPBACK_NAMES);
                for (String host : hosts) san.append(host.contains(":") || host.matches("[0-9.]+") ? ",ip:" : ",dns:").append(host);
                signServer(work, dir.resolve("ca.p12").toString(), caCert, san.toString());
                Files.createDirectories(hostDir);
                Files.move(work.resolve("server-chain.pem"), hostDir.resolve("server-chain.pem"), StandardCopyOption.ATOMIC_MOVE);
                Files.move(work.resolve("server-key.pem"), hostDir.resolve("server-key.pem"), StandardCopyOption.ATOMIC_MOVE);
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException(e.getMessage(), e);
            } finally {
                try (var files = Files.list(work)) {
                    for (Path p : (Iterable<Path>) files::iterator) Files.deleteIfExists(p);
                }
                Files.deleteIfExists(work);
            }
        }
    }

    private static Process serverKeyPair(Path w) throws IOException {
        return keytool(w, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=localhost,O=micros", "-validity", "825",
                "-keystore", w.resolve("server-key.p12").toString(), "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
    }

    /** Has the CA sign the key pair in {@code w} for the names; writes server-chain.pem and server-key.pem (owner only) there. */
    private static void signServer(Path w, String ca, X509Certificate caCert, String names) throws IOException, java.security.GeneralSecurityException {
        String server = w.resolve("server-key.p12").toString();
        await(keytool(w, "-certreq", "-alias", "server", "-keystore", server, "-storepass", PASS, "-file", w.resolve("server.csr").toString()), "the certificate request");
        await(keytool(w, "-gencert", "-alias", "ca", "-keystore", ca, "-storepass", PASS, "-sigalg", "SHA256withECDSA", "-validity", "825",
                "-infile", w.resolve("server.csr").toString(), "-outfile", w.resolve("server.pem").toString(), "-rfc",
                "-ext", "san=" + names, "-ext", "eku=serverAuth", "-ext", "ku:c=digitalSignature",
                "-ext", "bc:c=ca:false"), "signing the server certificate");
        PrivateKey key = (PrivateKey) read(server).getKey("server", PASS.toCharArray());
        Collection<? extends Certificate> signed;
        try (InputStream in = Files.newInputStream(w.resolve("server.pem"))) {
            signed = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        StringBuilder chain = new StringBuilder();
        for (Certificate c : signed) chain.append(pem((X509Certificate) c));
        if (signed.size() == 1) chain.append(pem(caCert));
        Files.writeString(w.resolve("server-chain.pem"), chain, StandardCharsets.US_ASCII);
        Path file = w.resolve("server-key.pem");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
    }

    private static KeyStore read(String file) throws IOException, java.security.GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            ks.load(in, PASS.toCharArray());
        }
        return ks;
    }

    static String pem(X509Certificate c) throws java.security.cert.CertificateEncodingException {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    private static Process keytool(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.add("-J-XX:TieredStopAtLevel=1");
        cmd.add("-J-XX:+UseSerialGC");
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    }

    private static void await(Process p, String what) throws IOException {
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool took too long " + what);
            }
            if (p.exitValue() != 0) throw new IOException("keytool failed " + what + ": " + out);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted " + what);
        }
    }
}
