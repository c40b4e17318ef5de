package micros.gateway;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import micros.cli.Units;
import micros.runtime.AppRuntime;
import micros.runtime.Engines;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.runtime.Supervisor;
import micros.spacefile.App.Micro;
import micros.util.UserError;

/**
 * The one port in front of the app: normalises the path, routes it to a micro, serves static
 * micros itself and forwards the rest, turning every failure into a short plain answer.
 */
public final class Gateway implements HttpHandler {
    static {
        // JDK 17's HttpServer otherwise stalls each keep-alive response ~40 ms (Nagle + delayed ACK)
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final AppRuntime runtime;
    private final Router router;
    private final Forwarder forwarder;
    private final Deadlines deadlines = new Deadlines();
    private final Map<String, Upstream.Pool> pools = new HashMap<>();
    private final Map<String, Path> folders = new HashMap<>();
    private final RunConfig.Limits limits;
    private final Log log;
    private final Auth auth;
    private final Internal internal;

    private Gateway(HttpServer server, AppRuntime runtime, RunConfig cfg, Log log) {
        this.server = server;
        this.runtime = runtime;
        this.router = new Router(runtime.app());
        this.limits = cfg.limits();
        this.forwarder = new Forwarder(limits.payload(), limits.payload());
        this.log = log;
        this.auth = new Auth(runtime.app(), cfg.isPublic(), cfg.ownerToken(), cfg.apiKeys(), runtime.apiKey());
        this.internal = new Internal(runtime.app());
        for (Micro m : runtime.app().micros()) {
            Upstream.Pool pool = new Upstream.Pool();
            pools.put(m.name(), pool);
            Supervisor s = runtime.supervisor(m);
            if (s != null) s.onStop(pool::drain);
            if (runtime.plan(m) instanceof Engines.Folder f) folders.put(m.name(), f.folder());
        }
        this.executor = executor();
        server.setExecutor(executor);
        server.createContext("/", this);
    }

    /** Binds the port and starts serving; a taken port is one sentence. */
    public static Gateway start(AppRuntime runtime, RunConfig cfg, Log log) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(cfg.host(), cfg.port()), 1024);
        } catch (BindException e) {
            throw UserError.runtime(cfg.port() == 0 ? "cannot listen on " + cfg.host() + ": " + e.getMessage()
                    : "port " + cfg.port() + " on " + cfg.host() + " is already in use: stop the program using it, or pass --port N (--port 0 picks a free one)");
        } catch (IOException e) {
            throw UserError.runtime("cannot listen on " + cfg.host() + ":" + cfg.port() + ": " + e.getMessage());
        }
        Gateway g = new Gateway(server, runtime, cfg, log);
        server.start();
        return g;
    }

    /** Hands the gateway what runs actions (created once the gateway's address is known). */
    public void connect(micros.actions.Scheduler scheduler, micros.actions.SelfClient self) {
        internal.connect(scheduler, self);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public void stop() {
        server.stop(0);
        executor.shutdownNow();
        deadlines.close();
    }

    private static ExecutorService executor() {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(4, 1024, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(null, r, "micros-http-" + n.incrementAndGet(), 256 * 1024);
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
        return pool;
    }

    /** Thrown to end the client connection without completing the response (it had already started). */
    private static final class CutConnection extends RuntimeException {
        CutConnection() {
            super(null, null, false, false);
        }
    }

    @Override
    public void handle(HttpExchange ex) {
        boolean cut = false;
        try {
            dispatch(ex);
        } catch (CutConnection c) {
            cut = true;
            throw c; // HttpServer closes the connection without ending the response
        } catch (IOException e) {
            // the client went away
        } catch (RuntimeException e) {
            log.event("internal error on " + ex.getRequestMethod() + " " + ex.getRequestURI() + ": " + e);
            try {
                Responses.text(ex, 500, "micros hit an internal error; see its log\n");
            } catch (IOException | RuntimeException ignored) {
                // headers were already sent
            }
        } finally {
            if (!cut) ex.close();
        }
    }

    private void dispatch(HttpExchange ex) throws IOException {
        URI uri = ex.getRequestURI();
        // a target starting with "//" parses as an authority; it is a path here (RFC 9112 §3.2.1: origin-form)
        String raw = uri.getScheme() == null && uri.getRawAuthority() != null ? "//" + uri.getRawAuthority() + uri.getRawPath() : uri.getRawPath();
        String path = PathNormalizer.normalize(raw);
        if (path == null) {
            Responses.text(ex, 400, "bad request path\n");
            return;
        }
        String query = uri.getRawQuery();
        Headers h = ex.getRequestHeaders();
        String token = Auth.param(query, "space_token");
        if (token != null) {
            login(ex, token, raw, query);
            return;
        }
        if ("websocket".equalsIgnoreCase(h.getFirst("Upgrade"))) {
            Responses.text(ex, 400, "WebSockets are not supported on Space, so micros refuses them too\n");
            return;
        }
        if (path.equals("/__micros") || path.startsWith("/__micros/")) {
            if (auth.open() || auth.isOwner(h)) internal.micros(ex, path);
            else unauthorized(ex, true);
            return;
        }
        if ((path.equals("/__space/actions") || path.startsWith("/__space/actions/")) && internal.providesAppActions()) {
            if (auth.isOwner(h)) internal.appActions(ex, path);
            else unauthorized(ex, true);
            return;
        }
        Router.Route route = router.route(path);
        Micro m = route.micro();
        if (!auth.allows(h, m, route.path())) {
            unauthorized(ex, Auth.isReserved(route.path()));
            return;
        }
        Path folder = folders.get(m.name());
        if (folder != null) {
            StaticFiles.serve(ex, folder, route.path(), m.prefix());
            return;
        }
        proxy(ex, m, query == null ? route.path() : route.path() + "?" + query, Auth.withoutLoginCookie(h.get("Cookie")));
    }

    /** A valid ?space_token=... sets the login cookie and redirects to the same URL without it. */
    private void login(HttpExchange ex, String token, String rawPath, String query) throws IOException {
        if (!auth.isOwnerToken(token)) {
            Responses.text(ex, 401, "this login link is not valid: use the one micros printed when it started\n");
            return;
        }
        String rest = Auth.withoutParam(query, "space_token");
        ex.getResponseHeaders().add("Set-Cookie", Auth.COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Lax");
        ex.getResponseHeaders().set("Location", rawPath + (rest == null ? "" : "?" + rest));
        Responses.text(ex, 302, "logged in\n");
    }

    private static void unauthorized(HttpExchange ex, boolean reserved) throws IOException {
        String accept = ex.getRequestHeaders().getFirst("Accept");
        String why = reserved ? "Paths under /__space/ are reserved for the app's owner."
                : "This route is private: only the app's owner can open it.";
        if (accept != null && accept.contains("text/html")) {
            Responses.html(ex, 401, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Private app</title></head>\n<body>"
                    + "<h1>This app is private</h1>\n<p>" + why + "</p>\n<p>To log in, open the login link micros printed when it started "
                    + "(it ends in <code>/?space_token=&hellip;</code>). Programs can send an API key in <code>X-Space-App-Key</code> "
                    + "to micros with the <code>api_keys</code> preset.</p>\n</body></html>\n");
        } else {
            Responses.text(ex, 401, why + " Log in with the link micros printed at start (.../?space_token=...),"
                    + " or send an API key in X-Space-App-Key (micros with the api_keys preset).\n");
        }
    }

    private void proxy(HttpExchange ex, Micro m, String target, String cookie) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-length");
        if (length != null && Long.parseLong(length.strip()) > limits.payload()) { // refused before the micro even wakes
            Responses.text(ex, 413, tooLarge() + "\n");
            return;
        }
        Supervisor s = runtime.supervisor(m);
        Supervisor.Endpoint ep;
        try {
            ep = s.acquire();
        } catch (Supervisor.Unavailable u) {
            Responses.text(ex, u.status(), u.getMessage() + "\n");
            return;
        }
        Forwarder.Scratch sc = forwarder.scratch();
        Deadlines.Ticket ticket = deadlines.arm(limits.timeout().toNanos());
        try {
            Forwarder.Outcome o = forwarder.forward(ex, pools.get(m.name()), ep.port(), ep.generation(), ep.connection(), target, cookie, ticket, sc);
            if (o.result != Forwarder.Result.OK) failed(ex, s, ep, o, target);
        } finally {
            deadlines.disarm(ticket);
            s.release();
            forwarder.recycle(sc);
        }
    }

    /** Answers (or cuts) a forward that did not end well, and logs what the user must know. */
    private void failed(HttpExchange ex, Supervisor s, Supervisor.Endpoint ep, Forwarder.Outcome o, String target) throws IOException {
        String name = "micro \"" + s.micro().name() + "\"";
        String request = ex.getRequestMethod() + " " + s.micro().prefix() + target;
        int status;
        String message;
        switch (o.result) {
            case TIMEOUT -> {
                String limit = Units.format(limits.timeout());
                log.event(s.micro().name() + ": " + request + " did not finish within " + limit + " (Space's execution timeout); killing the micro");
                s.stop("execution timeout", java.time.Duration.ZERO);
                status = 504;
                message = name + " did not answer within " + limit + " (Space's execution timeout)";
            }
            case REQUEST_TOO_LARGE -> {
                status = 413;
                message = tooLarge();
            }
            case RESPONSE_TOO_LARGE -> {
                log.event(s.micro().name() + ": " + request + ": the response body is over the " + Units.formatSize(limits.payload()) + " payload limit");
                status = 502;
                message = name + " answered with a body over the " + Units.formatSize(limits.payload()) + " payload limit (Space's limit)";
            }
            case CLIENT_GONE -> {
                return;
            }
            default -> {
                status = 502;
                String why = o.result == Forwarder.Result.CONNECT_FAILED ? "refused the connection" : o.detail;
                boolean broken = o.result != Forwarder.Result.BAD_RESPONSE;
                String exit = broken ? awaitExit(s, ep.generation()) : null; // a broken connection is often a process that just died
                if (exit != null) why = exit + (exit.startsWith("exited") ? " while answering" : "");
                message = name + " " + why;
                log.event(s.micro().name() + ": " + request + ": " + why);
            }
        }
        if (o.started) throw new CutConnection();
        ex.getResponseHeaders().clear();
        Responses.text(ex, status, message + "\n");
    }

    private String tooLarge() {
        return "the request body is over the " + Units.formatSize(limits.payload()) + " payload limit (Space's limit)";
    }

    /** A crashed process's exit status arrives a moment after its connections break. */
    private static String awaitExit(Supervisor s, long generation) {
        for (int i = 0; i < 100; i++) {
            String exit = s.exitOf(generation);
            if (exit != null) return exit;
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return null;
    }
}
