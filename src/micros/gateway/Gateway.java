package micros.gateway;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import micros.util.Units;
import micros.http.Deadlines;
import micros.http.Exchange;
import micros.http.Handler;
import micros.http.Server;
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
public final class Gateway implements Handler {
    private Server server;
    private final AppRuntime runtime;
    private final Router router;
    private final Forwarder forwarder;
    private final Deadlines deadlines = new Deadlines();
    private final Map<String, Upstream.Pool[]> pools = new HashMap<>(); // each micro's, one per instance slot
    private final Map<String, StaticFiles> folders = new HashMap<>();
    private final RunConfig.Limits limits;
    private final Log log;
    private final Auth auth;
    private final Internal internal;
    private final micros.runtime.Metrics metrics;
    private final RequestLog requests;
    private final micros.data.DataServer data; // null: no Base and Drive in this run
    private final String platform; // whose limits these are, for messages: Space, or Deta Cloud for a classic micro
    private final java.util.concurrent.ArrayBlockingQueue<LoopRelay> relays = new java.util.concurrent.ArrayBlockingQueue<>(256);

    private Gateway(AppRuntime runtime, RunConfig cfg, Log log, micros.data.DataServer data, micros.runtime.MicroLogs lines) {
        this.runtime = runtime;
        this.data = data;
        this.platform = runtime.app().platform();
        this.router = new Router(runtime.app());
        this.limits = cfg.limits();
        this.forwarder = new Forwarder(limits.payload());
        this.log = log;
        this.auth = new Auth(runtime.app(), cfg.isPublic(), cfg.ownerToken(), cfg.apiKeys(), runtime.apiKey());
        this.requests = new RequestLog(runtime.app());
        this.internal = new Internal(runtime.app(), new Dashboard(runtime, cfg, requests, lines, log), requests, data == null ? null : new DataPage(data), log);
        this.metrics = runtime.metrics();
        for (Micro m : runtime.app().micros()) {
            Supervisor s = runtime.supervisor(m);
            if (s != null) {
                Upstream.Pool[] slots = new Upstream.Pool[s.cap()];
                for (int k = 0; k < slots.length; k++) slots[k] = new Upstream.Pool(s.remote());
                pools.put(m.name(), slots);
                s.onStop(i -> slots[i.slot()].drain(i.number())); // an instance that ended leaves its connections of no use
            }
            if (runtime.plan(m) instanceof Engines.Folder f)
                folders.put(m.name(), StaticFiles.of(f.folder(), runtime.codeDir(m), micros.runtime.StateDir.of(runtime.app().root()).path(), runtime.codeRoot(m)));
        }
    }

    /** Binds the port and starts serving; a taken port is one sentence. */
    public static Gateway start(AppRuntime runtime, RunConfig cfg, Log log) {
        return start(runtime, cfg, log, null);
    }

    /** With the app's data: the browser SDK's paths, and HTTPS on the same port with the data server's certificate. */
    public static Gateway start(AppRuntime runtime, RunConfig cfg, Log log, micros.data.DataServer data) {
        micros.runtime.MicroLogs lines = new micros.runtime.MicroLogs(runtime.app());
        log.listen(lines::add);
        return start(runtime, cfg, log, data, lines);
    }

    /** @param lines each micro's recent lines for the dashboard, gathered since before the build step */
    public static Gateway start(AppRuntime runtime, RunConfig cfg, Log log, micros.data.DataServer data, micros.runtime.MicroLogs lines) {
        Gateway g = new Gateway(runtime, cfg, log, data, lines);
        try {
            Server.Settings settings = Server.Settings.DEFAULT.withMaxBody(cfg.limits().payload())
                    .withReadTimeout(cfg.limits().read());
            g.server = Server.start(cfg.host(), cfg.port(), g, settings,
                    (ex, e) -> log.event("internal error on " + ex.method() + " " + ex.rawPath() + ": " + e), data == null ? null : data.tls(), log::event);
        } catch (BindException e) {
            throw UserError.runtime(cfg.port() == 0 ? "cannot listen on " + cfg.host() + ": " + e.getMessage()
                    : "port " + cfg.port() + " on " + cfg.host() + " is already in use: stop the program using it, or pass --port N (--port 0 picks a free one)");
        } catch (IOException e) {
            throw UserError.runtime("cannot listen on " + cfg.host() + ":" + cfg.port() + ": " + e.getMessage());
        }
        return g;
    }

    /** Hands the gateway what runs actions (created once the gateway's address is known). */
    public void connect(micros.actions.Scheduler scheduler, micros.actions.SelfClient self) {
        internal.connect(scheduler, self);
    }

    public int port() {
        return server.port();
    }

    public void stop() {
        server.stop();
        deadlines.close();
    }

    /** What {@link #admit} leaves for {@link #handle} when the request is for micros' own endpoints. */
    private record Own(int kind, String path, boolean owner) {
        static final int DASHBOARD = 0, APP_ACTIONS = 1, DATA = 2;
    }

    /**
     * Everything that does not need the body, decided before a byte of it is read (as Space's
     * front end did): the path, login, auth, static files, the payload limit by Content-Length.
     * A refused request is answered here and its body never read; no micro is touched.
     */
    @Override
    public boolean admit(Exchange ex) throws IOException {
        String raw = ex.rawPath();
        String path = PathNormalizer.normalize(raw);
        if (path == null) {
            Responses.text(ex, 400, "bad request path\n");
            requests.record(ex, RequestLog.NONE, ex.status(), 0);
            return false;
        }
        String query = ex.rawQuery();
        String token = Auth.param(query, "space_token");
        if (token != null) {
            login(ex, token, raw, query);
            requests.record(ex, RequestLog.NONE, ex.status(), 0);
            return false;
        }
        if ("websocket".equalsIgnoreCase(ex.header("Upgrade"))) {
            Responses.text(ex, 400, "WebSockets are not supported on " + platform + ", so micros refuses them too\n");
            requests.record(ex, RequestLog.NONE, ex.status(), 0);
            return false;
        }
        if (path.equals(HEALTH)) { // the platform's readiness and liveness probe: to anyone, telling nothing, never forwarded
            Responses.text(ex, 200, "ok\n");
            return false;
        }
        Router.Route direct = path.startsWith(Internal.DIRECT) ? internal.direct(path) : null;
        if (direct != null && !auth.isOwner(ex)) { // micros' own calls to one micro (app actions), as the owner
            unauthorized(ex, RequestLog.NONE, "The micros dashboard and its endpoints are for the app's owner.");
            return false;
        }
        if (direct != null && Internal.refusedCrossSite(ex, false)) return false; // the owner's cookie rides along with other local sites' posts
        if (direct == null && (path.equals("/__micros") || path.startsWith("/__micros/"))) {
            boolean owner = auth.isOwner(ex);
            if (!owner && !(auth.open() && Internal.openWithPublic(ex.method(), path))) {
                unauthorized(ex, RequestLog.NONE, "The micros dashboard and its endpoints are for the app's owner.");
                return false;
            }
            return own(ex, new Own(Own.DASHBOARD, path, owner));
        }
        if (direct == null && data != null && micros.data.BrowserData.claims(path)) { // never forwarded to a micro
            if (!auth.isOwner(ex)) { // the owner's data, with --public too
                unauthorized(ex, RequestLog.NONE, "Deta Base and Drive in the browser (/__space/v0/base, /__space/v0/drive) are for the app's owner.");
                return false;
            }
            if (Internal.refusedCrossSite(ex, true)) { // not even a read: another site's page never gets at the data
                requests.record(ex, RequestLog.NONE, ex.status(), 0);
                return false;
            }
            if (ex.contentLength() > limits.payload()) {
                Responses.text(ex, 413, tooLarge() + "\n");
                requests.record(ex, RequestLog.NONE, ex.status(), RequestLog.PAYLOAD);
                return false;
            }
            ex.attach(new Own(Own.DATA, path, true));
            return true;
        }
        if (direct == null && (path.equals("/__space/actions") || path.startsWith("/__space/actions/")) && internal.providesAppActions()) {
            if (!auth.isOwner(ex)) {
                unauthorized(ex, RequestLog.NONE, RESERVED);
                return false;
            }
            return own(ex, new Own(Own.APP_ACTIONS, path, true));
        }
        Router.Route route = direct != null ? direct : router.route(path);
        Micro m = route.micro();
        if (direct == null && !auth.allows(ex, m, route.path())) {
            unauthorized(ex, requests.index(m), Auth.isReserved(route.path()) ? RESERVED : "This route is private: only the app's owner can open it.");
            return false;
        }
        StaticFiles folder = folders.get(m.name());
        if (folder != null) {
            try {
                folder.serve(ex, route.path(), m.prefix());
            } finally {
                metrics.of(m.name()).status(ex.status());
                requests.record(ex, requests.index(m), ex.status(), 0);
            }
            return false;
        }
        if (ex.contentLength() > limits.payload()) { // refused before the micro even wakes
            metrics.of(m.name()).payload.increment();
            metrics.of(m.name()).status(413);
            Responses.text(ex, 413, tooLarge() + "\n");
            requests.record(ex, requests.index(m), 413, RequestLog.PAYLOAD);
            return false;
        }
        ex.attach(route);
        return true;
    }

    /** micros' own endpoints: small bodies, read first like any other. */
    private boolean own(Exchange ex, Own own) throws IOException {
        if (ex.contentLength() > OWN_BODY_LIMIT) {
            Responses.text(ex, 413, "micros' own endpoints take bodies up to 1 MiB\n");
            requests.record(ex, RequestLog.NONE, 413, RequestLog.PAYLOAD);
            return false;
        }
        ex.attach(own);
        return true;
    }

    private static final long OWN_BODY_LIMIT = 1 << 20;

    @Override
    public boolean relays() {
        return true;
    }

    /**
     * The event loop's question (see {@link micros.http.Relay}): the decisions of {@link #admit} and
     * {@link #proxy} for the plain case, an awake micro's route that needs nothing else. Whatever
     * else admit would look at (micros' own and reserved paths, logins, upgrades, static files,
     * a micro that must start or thaw) is left to a worker: null.
     */
    @Override
    public micros.http.Relay relay(Exchange ex) {
        if (ex.contentLength() > limits.payload()) return null; // admit answers 413
        String path = PathNormalizer.normalize(ex.rawPath());
        if (path == null || path.startsWith("/__")) return null;
        String query = ex.rawQuery();
        if ((query != null && Auth.param(query, "space_token") != null) || ex.header("Upgrade") != null) return null;
        Router.Route route = router.route(path);
        Micro m = route.micro();
        if (folders.containsKey(m.name()) || !auth.allows(ex, m, route.path())) return null;
        Supervisor s = runtime.supervisor(m);
        if (s == null || s.remote() != null) return null;
        Supervisor.Endpoint ep = s.tryAcquire();
        if (ep == null) return null;
        LoopRelay r = relays.poll();
        if (r == null) r = new LoopRelay(this, forwarder);
        r.begin(ex, s, ep, pools.get(m.name())[ep.instance().slot()], query == null ? route.path() : route.path() + "?" + query,
                Auth.withoutLoginCookie(ex.headers("Cookie")), deadlines.arm(limits.timeout().toNanos()), forwarder.scratch());
        return r;
    }

    /** A relay the loop finished: the instance is given back, the request counted. */
    void relayed(LoopRelay r) {
        metrics.of(r.supervisor.micro().name()).status(r.ex.status());
        requests.record(r.ex, requests.index(r.supervisor.micro()), r.ex.status(), 0, r.endpoint.generation());
        recycle(r);
    }

    private void recycle(LoopRelay r) {
        deadlines.disarm(r.ticket);
        forwarder.recycle(r.sc); // gives the instance back, unless the forward did once the answer was read
        r.endpoint = null;
        r.ex = null;
        r.upstream = null;
        relays.offer(r);
    }

    /** A relay the loop handed over: finished here, on a worker, as {@link #proxy} would have. */
    private void takeOver(Exchange ex, LoopRelay r) throws IOException {
        Supervisor s = r.supervisor;
        int what = 0;
        try {
            Forwarder.Outcome o = r.sc.outcome;
            if (o.result != null) { // the loop saw it fail: a bad head, an answer over the payload limit
                if (r.upstream != null) r.upstream.close();
            } else {
                o = forwarder.takeOver(ex, r.pool, r.upstream, r.parsed, r.sent, r.endpoint.port(), r.endpoint.generation(), r.target, r.cookie, r.ticket, r.sc);
            }
            if (o.result != Forwarder.Result.OK) what = failed(ex, s, r.endpoint, o, r.target);
        } finally {
            metrics.of(s.micro().name()).status(ex.status());
            requests.record(ex, requests.index(s.micro()), ex.status(), what, r.endpoint.generation());
            recycle(r);
        }
    }

    /** Serves a request {@link #admit} let through, its body now read whole. */
    @Override
    public void handle(Exchange ex) throws IOException {
        Object a = ex.attachment();
        if (a instanceof LoopRelay r) {
            takeOver(ex, r);
            return;
        }
        if (a instanceof Own own) {
            if (own.kind() == Own.DASHBOARD) {
                internal.micros(ex, own.path(), own.owner()); // not in the request log: the dashboard reads itself every 2 s
                return;
            }
            try {
                if (own.kind() == Own.APP_ACTIONS) internal.appActions(ex, own.path());
                else micros.data.BrowserData.serve(data, ex);
            } finally {
                requests.record(ex, RequestLog.NONE, ex.status(), 0);
            }
            return;
        }
        Router.Route route = (Router.Route) a;
        Micro m = route.micro();
        String query = ex.rawQuery();
        long what = 0;
        try {
            what = proxy(ex, m, query == null ? route.path() : route.path() + "?" + query, Auth.withoutLoginCookie(ex.headers("Cookie")));
        } finally {
            metrics.of(m.name()).status(ex.status());
            requests.record(ex, requests.index(m), ex.status(), (int) what, what >>> 32);
        }
    }

    /** A body the server could not read whole: too large (as chunks), too slow, or badly framed. */
    @Override
    public void refuse(Exchange ex, int status, String why) throws IOException {
        String message = why;
        int micro = RequestLog.NONE;
        if (ex.attachment() instanceof Router.Route route) {
            metrics.of(route.micro().name()).status(status);
            if (status == 413) metrics.of(route.micro().name()).payload.increment();
            micro = requests.index(route.micro());
        }
        if (status == 413) message = tooLarge();
        else if (status == 408) message = "the request body did not arrive within " + Units.format(limits.read()) + "; nothing was sent to the micro";
        try {
            Responses.text(ex, status, message + "\n");
        } finally {
            requests.record(ex, micro, status, status == 413 ? RequestLog.PAYLOAD : 0);
        }
    }

    /** A valid ?space_token=... sets the login cookie and redirects to the same URL without it. */
    private void login(Exchange ex, String token, String rawPath, String query) throws IOException {
        if (!auth.isOwnerToken(token)) {
            String accept = ex.header("Accept");
            if (accept != null && accept.contains("text/html"))
                Responses.html(ex, 401, LoginPage.html("This login token is not valid", "Use the token micros printed when it started.", rawPath));
            else Responses.text(ex, 401, "this login link is not valid: use the one micros printed when it started\n");
            return;
        }
        String rest = Auth.withoutParam(query, "space_token");
        ex.addHeader("Set-Cookie", Auth.COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Lax");
        // the normalised path: "//evil.com/" would be a link to another site (an open redirect)
        String path = PathNormalizer.normalize(rawPath);
        if (path == null || path.startsWith("//")) path = "/";
        ex.addHeader("Location", path + (rest == null ? "" : "?" + rest));
        Responses.text(ex, 302, "logged in\n");
    }

    private static final String RESERVED = "Paths under /__space/ are reserved for the app's owner.";
    /** Where a platform probes the gateway over HTTP (the export's readiness and liveness probes). */
    public static final String HEALTH = "/__micros/health";

    /** 401, with how to log in; in the request log under {@code micro} (an index of {@link RequestLog}). */
    private void unauthorized(Exchange ex, int micro, String why) throws IOException {
        try {
            unauthorized(ex, why);
        } finally {
            requests.record(ex, micro, 401, 0);
        }
    }

    private void unauthorized(Exchange ex, String why) throws IOException {
        if (auth.open()) { // --public prints no login link: say how the owner gets in instead
            Responses.text(ex, 401, why + " micros runs with --public, so it printed no login link: start it with --owner-token T"
                    + " and open any page with ?space_token=T, or run without --public.\n");
            return;
        }
        String accept = ex.header("Accept");
        if (accept != null && accept.contains("text/html")) {
            Responses.html(ex, 401, LoginPage.html("This app is private", why, ex.rawPath()));
        } else {
            Responses.text(ex, 401, why + " Log in with the link micros printed at start (.../?space_token=...),"
                    + " or send an API key in X-Space-App-Key (micros with the api_keys preset).\n");
        }
    }

    /**
     * Forwards to a process micro; returns what happened on the way (the request log's flags) and,
     * in the upper 32 bits, the number of the instance that served it (0: none).
     */
    private long proxy(Exchange ex, Micro m, String target, String cookie) throws IOException {
        Supervisor s = runtime.supervisor(m);
        Supervisor.Endpoint ep;
        try {
            ep = s.acquire(() -> !ex.clientGone());
        } catch (Supervisor.Unavailable u) {
            if (u.status() == 0) { // its client left while it waited in line: nothing was sent to the micro
                ex.cut();
                return 0;
            }
            Responses.text(ex, u.status(), u.getMessage() + "\n");
            return 0;
        }
        int what = ep.cold() ? RequestLog.COLD : ep.thawed() ? RequestLog.THAWED : 0; // a cold start is no thaw
        Forwarder.Scratch sc = forwarder.scratch();
        sc.lease(s, ep);
        Deadlines.Ticket ticket = deadlines.arm(limits.timeout().toNanos());
        try {
            Forwarder.Outcome o = forwarder.forward(ex, pools.get(m.name())[ep.instance().slot()], ep.port(), ep.generation(), ep.connection(), target, cookie, ticket, sc);
            if (o.result != Forwarder.Result.OK) what |= failed(ex, s, ep, o, target);
        } finally {
            deadlines.disarm(ticket);
            forwarder.recycle(sc); // gives the instance back, unless the forward did once the answer was read
        }
        return what | ep.generation() << 32;
    }

    /** Answers (or cuts) a forward that did not end well, and logs what the user must know; returns the limit it hit, for the request log. */
    private int failed(Exchange ex, Supervisor s, Supervisor.Endpoint ep, Forwarder.Outcome o, String target) throws IOException {
        String name = "micro \"" + s.micro().name() + "\"";
        String request = ex.method() + " " + s.micro().prefix() + target;
        int status, what = 0;
        String message;
        switch (o.result) {
            case TIMEOUT -> {
                what = RequestLog.TIMEOUT;
                String limit = Units.format(limits.timeout());
                boolean remote = s.remote() != null; // its platform ends it (Knative: the same timeout); micros cuts the connection
                log.event(s.micro().name() + ": " + request + " did not finish within " + limit + " (" + platform + "'s execution timeout); "
                        + (remote ? "cut the connection to " + s.remote().url() : s.cap() == 1 ? "killing the micro"
                        : "killing instance " + ep.instance().number() + ", which served it" + (s.instances().size() > 1 ? " (the micro's other instances run on)" : "")));
                if (!remote) s.kill(ep, "execution timeout");
                metrics.of(s.micro().name()).timeouts.increment();
                status = 504;
                message = name + " did not answer within " + limit + " (" + platform + "'s execution timeout)";
            }
            case RESPONSE_TOO_LARGE -> {
                what = RequestLog.RESPONSE_TOO_LARGE;
                metrics.of(s.micro().name()).payload.increment();
                log.event(s.micro().name() + ": " + request + ": the response body is over the " + Units.formatSize(limits.payload()) + " payload limit");
                status = 502;
                message = name + " answered with a body over the " + Units.formatSize(limits.payload()) + " payload limit (" + platform + "'s limit)";
            }
            case CLIENT_GONE -> {
                return 0;
            }
            default -> {
                status = 502;
                String why = o.result == Forwarder.Result.CONNECT_FAILED
                        ? (s.remote() != null ? "could not be reached at " + s.remote().url() : "refused the connection") : o.detail;
                boolean broken = o.result != Forwarder.Result.BAD_RESPONSE && s.remote() == null;
                String exit = broken ? awaitExit(ep.instance()) : null; // a broken connection is often a process that just died
                if (exit != null) why = exit + (exit.startsWith("exited") ? " while answering" : "");
                if (exit != null && exit.contains("out of memory")) {
                    metrics.of(s.micro().name()).oom.increment();
                    what = RequestLog.OUT_OF_MEMORY;
                }
                message = name + " " + why;
                if (what != RequestLog.OUT_OF_MEMORY) log.event(s.micro().name() + ": " + request + ": " + why); // the supervisor logs the kill, once
            }
        }
        if (o.started) {
            ex.cut();
            return what;
        }
        ex.clearHeaders();
        Responses.text(ex, status, message + "\n");
        return what;
    }

    private String tooLarge() {
        return "the request body is over the " + Units.formatSize(limits.payload()) + " payload limit (" + platform + "'s limit)";
    }

    /** A crashed process's exit status arrives a moment after its connections break. */
    private static String awaitExit(micros.runtime.Instance instance) {
        for (int i = 0; i < 100; i++) {
            String exit = instance.exit();
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
