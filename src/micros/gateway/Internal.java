package micros.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import micros.http.Exchange;

import micros.actions.Scheduler;
import micros.actions.SelfClient;
import micros.runtime.Log;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.util.Json;

/**
 * The gateway's own endpoints, all for the owner: the dashboard and its JSON ({@code
 * /__micros/api/state}, {@code /__micros/api/requests}), {@code POST /__micros/actions/ID} (run an
 * action now, for `trigger` and the dashboard) and, when micros provide app actions, Space's
 * {@code GET /__space/actions} (every such micro's list) and {@code POST /__space/actions/NAME}.
 * micros reaches each micro for those through {@code /__micros/to/NAME/PATH} (owner only): a
 * primary micro's own {@code /__space/actions} would otherwise come back to this endpoint.
 */
final class Internal {
    static final String DIRECT = "/__micros/to/";
    private final App app;
    private final Dashboard dashboard;
    private final RequestLog requests;
    private final DataPage data; // null: no data in this run
    private final Log log;
    private volatile Scheduler scheduler;
    private volatile SelfClient self;

    Internal(App app, Dashboard dashboard, RequestLog requests, DataPage data, Log log) {
        this.app = app;
        this.dashboard = dashboard;
        this.requests = requests;
        this.data = data;
        this.log = log;
    }

    /** {@code /__micros/to/NAME/PATH} as a route to micro NAME at /PATH, or null for no such micro. */
    Router.Route direct(String path) {
        String rest = path.substring(DIRECT.length());
        int slash = rest.indexOf('/');
        String name = slash < 0 ? rest : rest.substring(0, slash);
        Micro m = app.micros().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
        return m == null ? null : new Router.Route(m, slash < 0 ? "/" : rest.substring(slash));
    }

    private static String to(Micro m, String path) {
        return DIRECT + m.name() + (path.startsWith("/") ? path : "/" + path);
    }

    void connect(Scheduler scheduler, SelfClient self) {
        this.scheduler = scheduler;
        this.self = self;
        dashboard.connect(scheduler);
    }

    boolean providesAppActions() {
        return app.micros().stream().anyMatch(Micro::provideActions);
    }

    /**
     * What of /__micros/ anyone may read when micros runs with --public: the dashboard and its
     * state, without log lines. The data view, log lines and running actions stay the owner's.
     */
    static boolean openWithPublic(String method, String path) {
        return (method.equals("GET") || method.equals("HEAD")) && (path.equals("/__micros") || path.equals("/__micros/") || path.equals("/__micros/api/state"));
    }

    private static boolean isDataView(String path) {
        return path.equals("/__micros/data") || path.startsWith("/__micros/data/");
    }

    /** /__micros/...; {@code owner}: the owner asked (else anyone, under --public), who alone sees log lines. */
    void micros(Exchange ex, String path, boolean owner) throws IOException {
        if (refusedCrossSite(ex, isDataView(path))) return;
        if (path.equals("/__micros")) {
            ex.addHeader("Location", "/__micros/");
            Responses.text(ex, 301, "the dashboard is at /__micros/\n");
            return;
        }
        if (path.equals("/__micros/") || path.equals("/__micros/api/state")) {
            if (!ex.method().equals("GET") && !ex.method().equals("HEAD")) {
                ex.addHeader("Allow", "GET, HEAD");
                Responses.text(ex, 405, "the dashboard is read with GET\n");
                return;
            }
            if (path.endsWith("/state")) Responses.send(ex, 200, "application/json", dashboard.json(owner));
            else if ("fragment=1".equals(ex.rawQuery())) Responses.html(ex, 200, dashboard.fragment(owner));
            else Responses.html(ex, 200, dashboard.page(owner));
            return;
        }
        if (path.equals("/__micros/api/requests")) { // the owner's only (never open with --public: paths may hold the app's data)
            if (!ex.method().equals("GET") && !ex.method().equals("HEAD")) {
                ex.addHeader("Allow", "GET, HEAD");
                Responses.text(ex, 405, "the request log is read with GET\n");
                return;
            }
            Responses.send(ex, 200, "application/json", requests.json());
            return;
        }
        if (data != null && isDataView(path)) {
            data.serve(ex, path);
            return;
        }
        if (path.startsWith("/__micros/actions/")) {
            String id = path.substring("/__micros/actions/".length());
            if (!ex.method().equals("POST")) {
                ex.addHeader("Allow", "POST");
                Responses.text(ex, 405, "POST runs the action\n");
                return;
            }
            Scheduler s = scheduler;
            if (s == null || s.entry(id) == null) {
                Responses.text(ex, 404, "no action '" + id + "' in this app\n");
                return;
            }
            Scheduler.Result r = s.fireNow(id);
            String type = ex.header("Content-Type");
            if (type != null && type.startsWith("application/x-www-form-urlencoded")) { // the dashboard's form, without script: back to it
                ex.addHeader("Location", "/__micros/");
                Responses.text(ex, 303, "ran " + id + ": " + r.status() + "\n");
                return;
            }
            ex.addHeader("X-Micros-Duration-Ms", Long.toString(r.millis()));
            // shown to a person (trigger prints it): as the log shows micro output, no control sequence, no secret
            Responses.text(ex, r.status() == 0 ? 502 : r.status(), r.body() == null ? "" : log.redactLines(r.body()));
            return;
        }
        Responses.text(ex, 404, "no such micros endpoint\n");
    }

    /**
     * Answers 403 to a state-changing request another site's page sent: the owner's cookie goes
     * with posts from other local origins (SameSite counts every port of localhost as one site).
     * Browsers say where a request comes from in Sec-Fetch-Site and Origin; programs (`trigger`,
     * curl) send neither and are let through. With {@code reads}, reads are refused too (the
     * owner's data: another site's {@code <script src>} would run a stored script in its page).
     */
    static boolean refusedCrossSite(Exchange ex, boolean reads) throws IOException {
        String method = ex.method();
        if (!reads && (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"))) return false;
        String site = ex.header("Sec-Fetch-Site");
        boolean cross = site != null && !site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none");
        String origin = ex.header("Origin");
        if (!cross && origin != null) {
            int scheme = origin.indexOf("://");
            String host = ex.header("Host");
            cross = scheme < 0 || host == null || !origin.substring(scheme + 3).equalsIgnoreCase(host);
        }
        if (cross) Responses.text(ex, 403, "refused: this request came from another site's page; use the dashboard itself, or `" + micros.util.Programs.INVOCATION + " trigger`\n");
        return cross;
    }

    /** Space's app actions: /__space/actions and /__space/actions/NAME. */
    void appActions(Exchange ex, String path) throws IOException {
        if (refusedCrossSite(ex, false)) return;
        SelfClient c = self;
        if (c == null) {
            Responses.text(ex, 503, "micros is starting\n");
            return;
        }
        List<Map<String, Object>> actions = gather(c);
        if (path.equals("/__space/actions")) {
            StringBuilder sb = new StringBuilder("{\"actions\":[");
            for (int i = 0; i < actions.size(); i++) sb.append(i == 0 ? "" : ",").append(toJson(actions.get(i)));
            Responses.send(ex, 200, "application/json", sb.append("]}").toString());
            return;
        }
        String name = path.substring("/__space/actions/".length());
        for (Map<String, Object> a : actions) {
            if (!name.equals(a.get("name"))) continue;
            Micro m = app.micro((String) a.get("micro"));
            String actionPath = String.valueOf(a.getOrDefault("path", "/"));
            String body = new String(ex.body().readNBytes(1 << 20), StandardCharsets.UTF_8);
            String type = ex.header("Content-Type");
            Scheduler.Result r = c.send("POST", to(m, actionPath), body, type == null ? "application/json" : type);
            if (!r.ok()) log.event(m.name() + ": app action " + name + ": POST " + actionPath + " " + failure(r));
            Responses.send(ex, r.status() == 0 ? 502 : r.status(), "application/json", r.body() == null ? "" : r.body());
            return;
        }
        List<String> known = actions.stream().map(a -> String.valueOf(a.get("name"))).toList();
        Responses.text(ex, 404, "no app action '" + name + "'" + (known.isEmpty() ? ": the micros provide none" : "; known: " + String.join(", ", known)) + "\n");
    }

    private String failure(Scheduler.Result r) {
        String body = r.body() == null ? "" : log.redactLines(r.body()).strip(); // before it is cut: never half a secret
        if (body.length() > 200) body = body.substring(0, 200) + "...";
        return (r.status() == 0 ? "failed" : "answered " + r.status()) + (body.isEmpty() ? "" : ": " + body.replaceAll("\\s+", " "));
    }

    /** Each providing micro's GET /__space/actions, its actions marked with the micro's name. */
    private List<Map<String, Object>> gather(SelfClient c) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Micro m : app.micros()) {
            if (!m.provideActions()) continue;
            Scheduler.Result r = c.send("GET", to(m, "/__space/actions"), null, null);
            if (!r.ok()) {
                log.event(m.name() + ": app actions: GET /__space/actions " + failure(r));
                continue;
            }
            try {
                Object doc = Json.parse(r.body());
                Object list = doc instanceof Map<?, ?> map ? map.get("actions") : doc;
                if (!(list instanceof List<?> l)) {
                    log.event(m.name() + ": app actions: GET /__space/actions answered without an \"actions\" list");
                    continue;
                }
                for (Object item : l) {
                    if (!(item instanceof Map<?, ?> a)) continue;
                    Map<String, Object> copy = new LinkedHashMap<>();
                    a.forEach((k, v) -> copy.put(String.valueOf(k), v));
                    copy.put("micro", m.name());
                    out.add(copy);
                }
            } catch (IllegalArgumentException e) {
                log.event(m.name() + ": app actions: GET /__space/actions did not answer JSON ({\"actions\": [...]}): " + e.getMessage());
            }
        }
        return out;
    }

    static String toJson(Object v) {
        if (v == null) return "null";
        if (v instanceof String s) return Json.quote(s);
        if (v instanceof Boolean || v instanceof Number) return String.valueOf(v);
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            m.forEach((k, x) -> sb.append(sb.length() > 1 ? "," : "").append(Json.quote(String.valueOf(k))).append(':').append(toJson(x)));
            return sb.append('}').toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (Object x : l) sb.append(sb.length() > 1 ? "," : "").append(toJson(x));
            return sb.append(']').toString();
        }
        return Json.quote(String.valueOf(v));
    }
}
