package micros.data.tls;

import java.io.ByteArrayInputStream;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import micros.util.UserError;

/**
 * micros' local certificate authority, made once per user with the JDK's keytool (no library):
 * a CA whose certificate the micros (and the owner's browser) trust, and one server certificate
 * it signed. The CA can vouch only for the names it was made for (see {@link CaNames}: localhost,
 * *.localhost, the loopback addresses, and the names runs listen by), and its private key is not
 * kept: it signs the server certificate, for all those names at once, and is deleted, so no
 * install script or build can use it to vouch for anything. A run that needs a name the CA does
 * not cover makes a new one (a CA's names cannot be widened), and says so: a browser must import
 * it again. A CA an older micros made without name constraints is replaced the same way, once.
 * Kept in MICROS_CA_DIR, else $XDG_DATA_HOME/micros/ca, else ~/.local/share/micros/ca: one CA
 * for every project, so a browser is told to trust it once. A run reads its files once, under
 * the folder's lock, so another run replacing them later does not change what this one serves.
 */
public final class LocalCa {
    private static final String PASS = "micros-local-ca"; // the files' mode protects the keys, not this
    private static final String SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
    private static final int SERVER_DAYS = 825, RENEW_DAYS = 30; // 825: the longest server certificate Apple's clients accept
    private final Path dir;
    private TreeSet<String> names; // the extra names the files cover; null until read
    private String caPem, chainPem, keyPem; // guarded by this

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

    /** The CA in its usual place, for the loopback names, made on first use (takes a few seconds, once). */
    public static LocalCa load() {
        return load(defaultDir());
    }

    /**
     * The per-user CA's place, or when that place cannot be written (a user without a home, a
     * read-only home) {@code fallback} (the project's state folder); {@link #cover} makes it.
     */
    public static LocalCa atDefaultOr(Path fallback) {
        Path dir = defaultDir();
        if (!Files.exists(dir.resolve("server-key.pem")) && System.getenv("MICROS_CA_DIR") == null) {
            try {
                Files.createDirectories(dir);
                if (!Files.isWritable(dir)) dir = fallback;
            } catch (IOException | SecurityException e) {
                dir = fallback;
            }
        }
        return at(dir);
    }

    /** The CA in {@code dir}, for the loopback names. */
    public static LocalCa load(Path dir) {
        return at(dir).cover(List.of(), System.err::println);
    }

    /** The CA's place, not read or made yet: {@link #cover} does. */
    public static LocalCa at(Path dir) {
        return new LocalCa(dir);
    }

    /**
     * Makes sure the CA vouches for {@code hosts} (beyond the loopback names; wildcard addresses
     * are skipped), making or replacing it when it does not, and reads its files. {@code notices}
     * gets one sentence when an existing CA was replaced: a browser that trusted it must import it again.
     */
    public synchronized LocalCa cover(List<String> hosts, Consumer<String> notices) {
        TreeSet<String> wanted = CaNames.extra(hosts);
        if (names != null && names.containsAll(wanted)) return this;
        String notice;
        try {
            notice = locked(() -> ensure(wanted));
        } catch (IOException e) {
            throw UserError.runtime("cannot make micros' local certificate authority in " + dir + " (" + e.getMessage()
                    + "): make the folder writable, or point MICROS_CA_DIR at a writable folder");
        }
        if (notice != null) notices.accept(notice);
        return this;
    }

    public Path dir() {
        return dir;
    }

    /** The CA's certificate (PEM): what a browser or a tool is told to trust. */
    public Path caCert() {
        return dir.resolve("micros-ca.pem");
    }

    /** The CA's certificate as this run read it (PEM). */
    public synchronized String caPem() {
        if (caPem == null) cover(List.of(), System.err::println);
        return caPem;
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
        b.append("# micros local CA\n").append(caPem());
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
        return serverContext(List.of());
    }

    /** A TLS context whose certificate also names {@code host} (see {@link #serverContext(List)}). */
    public SSLContext serverContext(String host) {
        return serverContext(java.util.Arrays.asList(host));
    }

    /**
     * A TLS context whose certificate names localhost, the loopback addresses and every one of
     * {@code hosts} (the gateway's address, the data server's, the DNS name remote micros reach it
     * by). Give them to {@link #cover} first: a name not covered yet makes a new CA here.
     */
    public SSLContext serverContext(List<String> hosts) {
        String key, chain;
        synchronized (this) {
            cover(hosts, System.err::println);
            key = keyPem;
            chain = chainPem;
        }
        try {
            return context(key, chain);
        } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw UserError.runtime("cannot read micros' TLS certificate in " + dir + " (" + e.getMessage()
                    + "): delete that folder and micros makes a new one (browsers must then trust the new CA)");
        }
    }

    /** A TLS context serving a PKCS#8 key and its certificate chain (PEM). */
    static SSLContext context(String key, String chain) throws java.security.GeneralSecurityException {
        byte[] der = Base64.getMimeDecoder().decode(key.replaceAll("-----[A-Z ]+-----", ""));
        PrivateKey privateKey = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        List<X509Certificate> certs = new ArrayList<>();
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(chain.getBytes(StandardCharsets.US_ASCII))))
            certs.add((X509Certificate) c);
        SSLContext ctx = SSLContext.getInstance("TLS");
        // no trust managers: clients are not asked for certificates, and the JDK's CA list need not be read
        ctx.init(new KeyManager[] {new FixedKeyManager(privateKey, certs.toArray(new X509Certificate[0]))}, new TrustManager[0], null);
        return ctx;
    }

    // ---- making it ----

    private interface Step {
        String run() throws IOException;
    }

    /** Runs {@code step} holding the folder's lock: runs of micros starting at once make one CA. */
    @SuppressWarnings("try") // the lock is held by the try, never used in it
    private String locked(Step step) throws IOException {
        Files.createDirectories(dir);
        synchronized (LocalCa.class) { // a FileLock is per process: threads queue here
            FileChannel lockFile;
            try {
                lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            } catch (IOException e) { // a read-only folder: read as it is (making fails with its own reason)
                return step.run();
            }
            try (lockFile; FileLock lock = lockFile.lock()) {
                return step.run();
            }
        }
    }

    /** Under the lock: the files cover {@code wanted}, renewed in time, else they are made anew; then read. */
    private String ensure(TreeSet<String> wanted) throws IOException {
        Path namesFile = dir.resolve("names");
        boolean complete = Files.exists(dir.resolve("server-key.pem"));
        TreeSet<String> have = new TreeSet<>();
        Instant until = null;
        if (complete && Files.isRegularFile(namesFile)) {
            try {
                for (String line : Files.readAllLines(namesFile, StandardCharsets.US_ASCII)) {
                    if (line.startsWith("name ")) have.add(line.substring(5).strip());
                    if (line.startsWith("until ")) until = instant(line.substring(6).strip());
                }
            } catch (java.nio.charset.MalformedInputException e) {
                until = null; // not what micros wrote: made anew below, as an unconstrained one would be
            }
        }
        String notice = null;
        boolean constrained = until != null; // an older micros' CA has no names file: it could vouch for any site
        boolean expiring = constrained && until.isBefore(Instant.now().plus(Duration.ofDays(RENEW_DAYS)));
        if (!constrained || !have.containsAll(wanted) || expiring) {
            TreeSet<String> all = new TreeSet<>(wanted);
            if (constrained) all.addAll(have); // widened: what it covered stays covered
            make(all);
            String covers = "localhost, *.localhost, 127.0.0.0/8, ::1" + (all.isEmpty() ? "" : ", " + String.join(", ", all));
            String again = "If you imported " + caCert() + " into a browser or a system store, remove the old \"micros local CA\" there and import the file"
                    + " again; micros runs started before keep the old one until they restart.";
            if (complete && !constrained)
                notice = "replaced micros' local certificate authority in " + dir + ": the one an earlier micros made could vouch for any site;"
                        + " the new one vouches only for " + covers + ", and its private key is not kept. " + again;
            else if (complete && expiring)
                notice = "made micros' local certificate authority in " + dir + " anew: its server certificate expires " + until + ". " + again;
            else if (complete)
                notice = "made micros' local certificate authority in " + dir + " anew to vouch for " + String.join(", ", difference(wanted, have))
                        + " too (a CA's names are fixed when it is made); it vouches for " + covers + ". " + again;
            have = all;
        }
        caPem = Files.readString(caCert(), StandardCharsets.US_ASCII);
        chainPem = Files.readString(dir.resolve("server-chain.pem"), StandardCharsets.US_ASCII);
        keyPem = Files.readString(dir.resolve("server-key.pem"), StandardCharsets.US_ASCII);
        names = have;
        return notice;
    }

    /**
     * The instant Instant.toString wrote ("2027-12-07T17:22:47Z", perhaps with a fraction), or null
     * (then the CA is made anew). Not Instant.parse: its formatter loads ~70 classes at each start.
     */
    static Instant instant(String text) {
        if (text.length() < 20 || !text.endsWith("Z") || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':') return null;
        String fraction = text.substring(19, text.length() - 1);
        if (!fraction.isEmpty() && (fraction.length() < 2 || fraction.length() > 10 || fraction.charAt(0) != '.' || !digits(fraction.substring(1)))) return null;
        String[] parts = {text.substring(0, 4), text.substring(5, 7), text.substring(8, 10), text.substring(11, 13), text.substring(14, 16), text.substring(17, 19)};
        int[] v = new int[6];
        for (int i = 0; i < 6; i++) {
            if (!digits(parts[i])) return null;
            v[i] = Integer.parseInt(parts[i]);
        }
        int nanos = fraction.isEmpty() ? 0 : Integer.parseInt((fraction.substring(1) + "00000000").substring(0, 9));
        try {
            return java.time.LocalDateTime.of(v[0], v[1], v[2], v[3], v[4], v[5], nanos).toInstant(java.time.ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private static boolean digits(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return !s.isEmpty();
    }

    private static List<String> difference(TreeSet<String> a, TreeSet<String> b) {
        List<String> d = new ArrayList<>(a);
        d.removeAll(b);
        return d;
    }

    /**
     * Makes a CA constrained to {@code extra} and the loopback names, a server certificate for all
     * of them, and moves the public results and the server key into place; the CA's key stays in
     * the work folder, which is deleted. An older micros' files (its CA key, its per-host
     * certificates) go too.
     */
    private void make(TreeSet<String> extra) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path work = Files.createTempDirectory(dir, "making-");
        try {
            Instant until = makeIn(work, extra);
            StringBuilder names = new StringBuilder("# the names micros' CA vouches for beyond localhost, *.localhost, 127.0.0.0/8 and ::1"
                    + " (its name constraints), and when its server certificate expires; made by micros\n");
            for (String n : extra) names.append("name ").append(n).append('\n');
            names.append("until ").append(until).append('\n');
            Files.writeString(work.resolve("names"), names, StandardCharsets.US_ASCII);
            Files.deleteIfExists(dir.resolve("server-key.pem")); // first: the folder is incomplete until the last move
            Files.deleteIfExists(dir.resolve("ca.p12")); // an older micros kept the CA's key
            deleteTree(dir.resolve("hosts")); // and a certificate per host
            Files.move(work.resolve("micros-ca.pem"), caCert(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(work.resolve("server-chain.pem"), dir.resolve("server-chain.pem"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(work.resolve("names"), dir.resolve("names"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(work.resolve("server-key.pem"), dir.resolve("server-key.pem"), StandardCopyOption.ATOMIC_MOVE); // last: its presence means done
        } finally {
            deleteTree(work); // the CA's key with it
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(p)) {
            for (Path f : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(f);
        }
    }

    /** Makes ca.p12 (the CA, with its key), micros-ca.pem, server-chain.pem and server-key.pem in {@code w}; returns the server certificate's end. */
    static Instant makeIn(Path w, Set<String> extra) throws IOException {
        String ca = w.resolve("ca.p12").toString();
        // the CA's key pair and the server's at once: each keytool is a JVM start
        Process a = keytool(w, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=micros local CA,O=micros", "-validity", "3650", "-ext", "bc:c=ca:true,pathlen:0", "-ext", "ku:c=keyCertSign,cRLSign",
                "-ext", "eku=serverAuth", "-ext", CaNames.constraints(extra),
                "-keystore", ca, "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
        Process b = serverKeyPair(w);
        await(a, "making the CA's key");
        await(b, "making the server's key");
        try {
            X509Certificate caCert = (X509Certificate) read(ca).getCertificate("ca");
            Files.writeString(w.resolve("micros-ca.pem"), pem(caCert), StandardCharsets.US_ASCII);
            X509Certificate server = signServer(w, ca, caCert, CaNames.san(extra));
            Files.setPosixFilePermissions(Path.of(ca), PosixFilePermissions.fromString("rw-------"));
            return server.getNotAfter().toInstant();
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    static Process serverKeyPair(Path w) throws IOException {
        return keytool(w, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=localhost,O=micros", "-validity", Integer.toString(SERVER_DAYS),
                "-keystore", w.resolve("server-key.p12").toString(), "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
    }

    /**
     * Has the CA in {@code ca} sign the key pair in {@code w} (server-key.p12, alias server) for
     * {@code names} (keytool's san syntax); writes server-chain.pem and server-key.pem (owner only) there.
     */
    static X509Certificate signServer(Path w, String ca, X509Certificate caCert, String names) throws IOException, java.security.GeneralSecurityException {
        String server = w.resolve("server-key.p12").toString();
        await(keytool(w, "-certreq", "-alias", "server", "-keystore", server, "-storepass", PASS, "-file", w.resolve("server.csr").toString()), "the certificate request");
        await(keytool(w, "-gencert", "-alias", "ca", "-keystore", ca, "-storepass", PASS, "-sigalg", "SHA256withECDSA", "-validity", Integer.toString(SERVER_DAYS),
                "-infile", w.resolve("server.csr").toString(), "-outfile", w.resolve("server.pem").toString(), "-rfc",
                "-ext", "san=" + names, "-ext", "eku=serverAuth", "-ext", "ku:c=digitalSignature",
                "-ext", "bc:c=ca:false"), "signing the server certificate");
        PrivateKey key = (PrivateKey) read(server).getKey("server", PASS.toCharArray());
        List<X509Certificate> signed = new ArrayList<>();
        try (InputStream in = Files.newInputStream(w.resolve("server.pem"))) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) signed.add((X509Certificate) c);
        }
        StringBuilder chain = new StringBuilder();
        for (X509Certificate c : signed) chain.append(pem(c));
        if (signed.size() == 1) chain.append(pem(caCert));
        Files.writeString(w.resolve("server-chain.pem"), chain, StandardCharsets.US_ASCII);
        Path file = w.resolve("server-key.pem");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
        return signed.get(0);
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
