package micros.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import micros.data.base.BaseService;
import micros.data.drive.DriveService;
import micros.data.tls.LocalCa;
import micros.http.Exchange;
import micros.http.Handler;
import micros.http.Server;
import micros.util.UserError;

/**
 * The app's Deta Base and Drive, as Space gave them through DETA_PROJECT_KEY: one HTTPS server on
 * a loopback port that the micros reach through DETA_BASE_HOST / DETA_DRIVE_HOST, trusting
 * micros' local CA through the usual CA-bundle variables. {@code /v1/<pid>/<name>/items|query}
 * goes to Base, {@code /files|/uploads} to Drive. Data lives in the state folder's {@code data/}.
 */
public final class DataServer implements Handler, AutoCloseable {
    /** The variables that make a program trust micros' CA (next to the system's CAs). */
    public static final List<String> CA_VARIABLES = List.of("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE");
    private final Path dataDir;
    private final String projectKey;
    private final BaseService base;
    private final DriveService drive;
    private final LocalCa ca;
    private final Supplier<SSLContext> tls;
    private Listen listen = Listen.LOOPBACK;
    private Server server;

    /**
     * Where the data server listens ({@code host}, {@code port}; 0 picks one) and the name the
     * micros reach it by ({@code name}, null: the address itself); the certificate names both.
     * Remote micros ({@code micros gateway}) need a reachable address and a name in the cert.
     */
    public record Listen(String host, int port, String name) {
        public static final Listen LOOPBACK = new Listen("127.0.0.1", 0, null);

        /** The host DETA_BASE_HOST names: the name, else the address (a wildcard shows as 127.0.0.1). */
        String advertised() {
            if (name != null) return name;
            return List.of("0.0.0.0", "::", "[::]").contains(host) ? "127.0.0.1" : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        }
    }

    private DataServer(Path dataDir, String projectKey, LocalCa ca, List<String> hosts) throws IOException {
        this.dataDir = dataDir;
        this.projectKey = projectKey;
        this.ca = ca;
        this.tls = loadLazily(ca, hosts);
        String projectId = projectId(projectKey);
        this.base = new BaseService(dataDir, projectId, projectKey);
        this.drive = new DriveService(dataDir, projectId, projectKey);
    }

    /**
     * Reading the key and starting the JDK's TLS costs ~100-200 ms of CPU: done at the first TLS
     * connection, so runs (and tests) that never speak TLS never pay it.
     */
    private static Supplier<SSLContext> loadLazily(LocalCa ca, List<String> hosts) {
        return new Supplier<>() {
            private SSLContext ctx;

            @Override
            public synchronized SSLContext get() {
                if (ctx == null) ctx = ca.serverContext(hosts);
                return ctx;
            }
        };
    }

    public static String projectId(String projectKey) {
        int u = projectKey.indexOf('_');
        return u < 0 ? projectKey : projectKey.substring(0, u);
    }

    /**
     * Opens the data (a clear sentence when it cannot) and serves it on a loopback port. The
     * certificate also names {@code gatewayHost} (the gateway shares it), which the CA is made to cover.
     */
    public static DataServer start(Path dataDir, String projectKey, LocalCa ca, String gatewayHost) {
        return start(dataDir, projectKey, ca, gatewayHost, Listen.LOOPBACK, System.err::println);
    }

    /**
     * As above, listening where {@code listen} says, the certificate also naming its address and
     * name; {@code notices} gets the server's trouble that is no one request's (see {@link Server#start}).
     */
    public static DataServer start(Path dataDir, String projectKey, LocalCa ca, String gatewayHost, Listen listen, java.util.function.Consumer<String> notices) {
        DataServer d;
        try {
            micros.util.PrivateFiles.folder(dataDir); // 0700 from its creation: the app's data is micros' user's alone
            List<String> hosts = new java.util.ArrayList<>(List.of(gatewayHost, listen.host()));
            if (listen.name() != null) hosts.add(listen.name());
            if (ca != null) ca.cover(hosts, notices); // now, before the micros' bundle is written: the CA may be made anew for a new name
            d = new DataServer(dataDir, projectKey, ca, hosts);
            Heap.keepNearLive(); // the bases hold their indexes on the heap, their items on disk: a collection may shrink it to near that
            d.listen = listen;
            d.base.notices(notices);
            d.drive.notices(notices);
        } catch (IOException e) {
            throw UserError.runtime("cannot open the app's data in " + dataDir + " (" + e.getMessage() + "): make it writable, or point MICROS_STATE_DIR elsewhere");
        }
        try {
            d.server = Server.start(listen.host(), listen.port(), d, Server.Settings.DEFAULT.withMaxBody(BODY_LIMIT), (ex, e) -> { }, d.tls, notices);
        } catch (IOException e) {
            d.base.close();
            throw listen == Listen.LOOPBACK ? UserError.runtime("cannot listen on a loopback port for Deta Base and Drive: " + e.getMessage())
                    : UserError.runtime("cannot listen on " + listen.host() + ":" + listen.port() + " for Deta Base and Drive (" + e.getMessage()
                    + "): choose another --data-port, or an address of this machine for --data-host");
        }
        return d;
    }

    /** Opens the data without serving it (for the data commands). */
    public static DataServer open(Path dataDir, String projectKey) {
        try {
            micros.util.PrivateFiles.folder(dataDir); // 0700 from its creation: the app's data is micros' user's alone
            String projectId = projectId(projectKey);
            return new DataServer(dataDir, projectKey, null, new BaseService(dataDir, projectId, projectKey), new DriveService(dataDir, projectId, projectKey));
        } catch (IOException e) {
            throw UserError.runtime("cannot open the app's data in " + dataDir + " (" + e.getMessage() + ")");
        }
    }

    private DataServer(Path dataDir, String projectKey, LocalCa ca, BaseService base, DriveService drive) {
        this.dataDir = dataDir;
        this.projectKey = projectKey;
        this.ca = ca;
        this.tls = null;
        this.base = base;
        this.drive = drive;
    }

    public BaseService base() {
        return base;
    }

    public DriveService drive() {
        return drive;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The TLS context with micros' server certificate (the gateway serves HTTPS with it too). */
    public Supplier<SSLContext> tls() {
        return tls;
    }

    public LocalCa ca() {
        return ca;
    }

    /** host:port, as DETA_BASE_HOST and DETA_DRIVE_HOST take it. */
    public String hostPort() {
        return listen.advertised() + ":" + server.port();
    }

    /** Where the server listens, as host:port. */
    public String bound() {
        String h = listen.host();
        return (h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h) + ":" + server.port();
    }

    /** What every micro gets: the data hosts, and a CA bundle (written to {@code bundle}) it trusts. */
    public Map<String, String> env(Path bundle) {
        try {
            ca.writeBundle(bundle);
        } catch (IOException e) {
            throw UserError.runtime("cannot write the CA bundle for the micros to " + bundle + ": " + e.getMessage());
        }
        // node adds NODE_EXTRA_CA_CERTS to its own roots and parses it at every start: micros' CA alone
        // (the whole bundle cost a Node micro ~45 ms per cold start)
        Path caOnly = bundle.resolveSibling("micros-ca.pem");
        try {
            java.nio.file.Files.writeString(caOnly, ca.caPem(), StandardCharsets.US_ASCII); // the CA this run serves with, as it read it
            java.nio.file.Files.setPosixFilePermissions(caOnly, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException | UnsupportedOperationException e) {
            throw UserError.runtime("cannot write micros' CA for the micros to " + caOnly + ": " + e.getMessage());
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DETA_BASE_HOST", hostPort());
        env.put("DETA_DRIVE_HOST", hostPort());
        env.putAll(caEnv(bundle));
        return env;
    }

    /**
     * The variables that make a micro's HTTPS clients trust micros' CA beside the system's, for a
     * bundle written by {@link #env} (micros' CA alone is beside it, as micros-ca.pem). OpenSSL reads
     * SSL_CERT_FILE whole each time a client makes a TLS context, and Python's http.client (the
     * Deta SDK's) makes one per connection: the 145 system CAs cost 22 ms there, three times per
     * Drive put. So when the system's folder of CAs can be searched by name (hashed links, as in
     * Debian's /etc/ssl/certs), SSL_CERT_FILE names micros' CA alone and SSL_CERT_DIR that folder,
     * where a CA is read only when a certificate names it. requests and curl take one file: the bundle.
     */
    public static Map<String, String> caEnv(Path bundle) {
        Path caOnly = bundle.resolveSibling("micros-ca.pem");
        String dir = hashedCertDir();
        Map<String, String> env = new LinkedHashMap<>();
        for (String v : CA_VARIABLES) env.put(v, (v.equals("NODE_EXTRA_CA_CERTS") || (dir != null && v.equals("SSL_CERT_FILE")) ? caOnly : bundle).toString());
        if (dir != null) env.put("SSL_CERT_DIR", dir);
        return env;
    }

    private static final String SYSTEM_CERT_DIR = "/etc/ssl/certs";

    private static boolean hashName(String n) {
        if (n.length() != 10 || n.charAt(8) != '.' || !Character.isDigit(n.charAt(9))) return false;
        for (int i = 0; i < 8; i++) if (Character.digit(n.charAt(i), 16) < 0) return false;
        return true;
    }

    /** The system's CA folder when it has OpenSSL's hashed links (8 hex digits, a dot, a digit), else null. */
    private static String hashedCertDir() {
        try (java.nio.file.DirectoryStream<Path> d = java.nio.file.Files.newDirectoryStream(Path.of(SYSTEM_CERT_DIR))) {
            for (Path p : d) if (hashName(p.getFileName().toString())) return SYSTEM_CERT_DIR;
        } catch (IOException | RuntimeException e) {
            // no such folder: the bundle it is
        }
        return null;
    }

    /** Bodies are read whole before {@link #handle}: one Drive refuses by its length first. */
    private static final long BODY_LIMIT = (16 << 20) + 1; // Deta's largest (Base's 16 MB): past it the server answers 413 by itself

    @Override
    public boolean admit(Exchange ex) throws IOException {
        String[] p = ex.rawPath().split("/", 6);
        String service = p.length >= 5 && p[1].equals("v1") ? p[4] : "";
        return !(service.equals("files") || service.equals("uploads")) || drive.admit(ex);
    }

    @Override
    public void handle(Exchange ex) throws IOException {
        String[] p = ex.rawPath().split("/", 6); // "", v1, pid, name, items|query|files|uploads, ...
        String service = p.length >= 5 && p[1].equals("v1") ? p[4] : "";
        switch (service) {
            case "items", "query" -> base.handle(ex);
            case "files", "uploads" -> drive.handle(ex);
            default -> ex.send(404, "application/json", "{\"errors\":[\"not found: Base is at /v1/<project_id>/<base>/items, Drive at /v1/<project_id>/<drive>/files\"]}"
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    public String projectKey() {
        return projectKey;
    }

    @Override
    public void close() {
        if (server != null) server.stop();
        base.close();
    }
}
