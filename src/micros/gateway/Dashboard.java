package micros.gateway;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

import micros.actions.Scheduler;
import micros.util.Units;
import micros.runtime.AppRuntime;
import micros.runtime.Engines;
import micros.runtime.Log;
import micros.runtime.LogTail;
import micros.runtime.MicroLogs;
import micros.runtime.Metrics;
import micros.runtime.RunConfig;
import micros.runtime.Supervisor;
import micros.spacefile.App.Micro;
import micros.util.Json;

/**
 * The live dashboard at /__micros/: each micro's state (with the error line of one that failed),
 * cold starts, traffic, limits hit, memory and processes against the limits, the scheduled
 * actions, the request log, and each micro's recent lines with micros' own events about it.
 * One HTML page from the jar, readable without JavaScript (the data is in the HTML); a few
 * lines of script refresh it every 2 seconds. The same data as JSON at /__micros/api/state.
 */
final class Dashboard {
    /** Made when a page is first shown, not when the gateway starts: the formatters and the page's assets cost ~10 ms of a start. */
    private static final class Page {
        static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
        /** Log lines and requests in the zone and format of the terminal's log. */
        static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(java.time.ZoneId.systemDefault());
        static final String CSS = resource("dashboard.css"), JS = resource("dashboard.js");
    }

    /** Requests the page lists (refreshed every 2 s); the JSON has the whole log. */
    static final int SHOWN_REQUESTS = 100;
    private final AppRuntime runtime;
    private final RunConfig cfg;
    private final RequestLog requests;
    private final MicroLogs lines;
    private final Log log;
    private final long started = System.currentTimeMillis();
    private volatile Scheduler scheduler;

    Dashboard(AppRuntime runtime, RunConfig cfg, RequestLog requests, MicroLogs lines, Log log) {
        this.runtime = runtime;
        this.cfg = cfg;
        this.requests = requests;
        this.lines = lines;
        this.log = log;
    }

    void connect(Scheduler s) {
        this.scheduler = s;
    }

    // ---- the data ----

    /** A micro's state as the dashboard names it. */
    String state(Micro m) {
        Supervisor s = runtime.supervisor(m);
        if (s == null) return "static";
        if (s.remote() != null) return "remote";
        return switch (s.state()) {
            case ASLEEP -> s.killed() ? "killed" : "asleep";
            case STARTING -> "starting";
            case AWAKE -> s.frozen() ? "frozen" : "awake";
            case BACKOFF -> "backing off";
            case STOPPING -> "stopping";
            case UNAVAILABLE -> "unavailable";
        };
    }

    /** @param logs whether to include the micros' log lines (the owner's only: they may hold the app's data) */
    String json(boolean logs) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("{\"app\":").append(Json.quote(runtime.app().displayName()))
                .append(",\"uptimeMs\":").append(System.currentTimeMillis() - started)
                .append(",\"limits\":{\"timeoutMs\":").append(cfg.limits().timeout().toMillis())
                .append(",\"memoryBytes\":").append(cfg.limits().memory()).append(",\"pids\":").append(cfg.limits().pids())
                .append(",\"payloadBytes\":").append(cfg.limits().payload())
                .append(",\"enforcement\":").append(Json.quote(runtime.limiter().summary())).append('}')
                .append(",\"sandbox\":").append(Json.quote(runtime.sandbox().summary()))
                .append(",\"micros\":[");
        List<Micro> micros = runtime.app().micros();
        for (int i = 0; i < micros.size(); i++) {
            Micro m = micros.get(i);
            Supervisor s = runtime.supervisor(m);
            Metrics.Counters c = runtime.metrics().of(m.name());
            if (i > 0) sb.append(',');
            sb.append("{\"name\":").append(Json.quote(m.name())).append(",\"path\":").append(Json.quote(path(m)))
                    .append(",\"engine\":").append(Json.quote(m.engine().id())).append(",\"state\":").append(Json.quote(state(m)))
                    .append(",\"starts\":").append(Json.quote(runtime.plan(m).describe()));
            if (s != null) {
                sb.append(",\"pid\":").append(s.pid() > 0 ? Long.toString(s.pid()) : "null")
                        .append(",\"uptimeMs\":").append(s.uptimeMillis() >= 0 ? Long.toString(s.uptimeMillis()) : "null")
                        .append(",\"coldStarts\":").append(s.coldStarts())
                        .append(",\"lastColdStartMs\":").append(s.lastColdStartMillis() >= 0 ? Long.toString(s.lastColdStartMillis()) : "null")
                        .append(",\"problem\":").append(Json.quote(s.problem()));
                if (logs) sb.append(",\"error\":").append(Json.quote(s.problem() == null ? null : LogTail.errorLine(s.lastLines(50))));
                boolean running = s.pid() > 0 || s.remote() != null; // a process that ended leaves no memory of its own, whatever its group still counts
                sb.append(",\"memoryBytes\":").append(num(running ? s.memoryCurrent() : -1))
                        .append(",\"memoryPeakBytes\":").append(num(s.memoryPeak()))
                        .append(",\"pidsCurrent\":").append(num(s.pidsCurrent()));
                instancesJson(sb, s);
            }
            sb.append(",\"requests\":").append(c.requests.sum())
                    .append(",\"responses\":{\"2xx\":").append(c.c2xx.sum()).append(",\"3xx\":").append(c.c3xx.sum())
                    .append(",\"4xx\":").append(c.c4xx.sum()).append(",\"5xx\":").append(c.c5xx.sum()).append('}')
                    .append(",\"limitsHit\":{\"timeout504\":").append(c.timeouts.sum()).append(",\"oom502\":").append(c.oom.sum())
                    .append(",\"payload413\":").append(c.payload.sum()).append('}')
                    .append(",\"series\":{\"sampleSeconds\":").append(Metrics.SAMPLE_MILLIS / 1000)
                    .append(",\"requestsPerSecond\":").append(array(c.rate())).append(",\"memoryMiB\":").append(array(c.memory())).append('}');
            if (logs) {
                sb.append(",\"log\":[");
                List<String> lines = s == null ? List.of() : s.lastLines(50);
                for (int k = 0; k < lines.size(); k++) sb.append(k == 0 ? "" : ",").append(Json.quote(lines.get(k)));
                sb.append(']');
            }
            sb.append('}');
        }
        sb.append("],\"actions\":[");
        Scheduler sch = scheduler;
        if (sch != null) {
            List<Scheduler.Entry> entries = sch.entries();
            for (int i = 0; i < entries.size(); i++) {
                Scheduler.Entry e = entries.get(i);
                Scheduler.Result r = e.lastResult();
                sb.append(i == 0 ? "" : ",").append("{\"id\":").append(Json.quote(e.action.id())).append(",\"name\":").append(Json.quote(e.action.name()))
                        .append(",\"micro\":").append(Json.quote(e.micro.name())).append(",\"schedule\":").append(Json.quote(e.action.interval()))
                        .append(",\"nextRun\":").append(Json.quote(e.next().toString()))
                        .append(",\"lastRun\":").append(e.lastRun() == null ? "null" : Json.quote(e.lastRun().toString()))
                        .append(",\"lastStatus\":").append(r == null ? "null" : Integer.toString(r.status()))
                        .append(",\"lastDurationMs\":").append(r == null ? "null" : Long.toString(r.millis())).append('}');
            }
        }
        return sb.append("]}").toString();
    }

    // ---- the page ----

    String page(boolean logs) {
        return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n"
                + "<title>micros: " + esc(runtime.app().displayName()) + "</title>\n<style>\n" + Page.CSS + "</style>\n</head>\n<body>\n"
                + "<header><h1>" + esc(runtime.app().displayName()) + " <span class=\"muted\">on micros</span></h1>\n"
                + "<p class=\"muted\">" + esc(runtime.limiter().summary()) + "<br>" + esc(runtime.sandbox().summary())
                + (cfg.isPublic() ? "<br>authentication: off (--public)" : "") + "</p>\n<nav><a href=\"/\">Open the app</a>"
                + "<a href=\"/__micros/data\">Data: Bases and Drives</a>"
                + (logs ? "<a href=\"/__micros/api/requests\">Request log (JSON)</a>" : "") + "</nav></header>\n"
                + "<main id=\"live\" aria-live=\"off\">\n" + fragment(logs) + "</main>\n"
                + "<p id=\"notice\" role=\"status\" aria-live=\"polite\"></p>\n"
                + "<script>\n" + Page.JS + "</script>\n</body>\n</html>\n";
    }

    /** Everything that changes: what the page's script fetches every 2 s (?fragment=1). */
    String fragment(boolean logs) {
        StringBuilder h = new StringBuilder(16384);
        h.append("<section aria-labelledby=\"micros-h\"><h2 id=\"micros-h\">Micros</h2>\n<table id=\"micros\">\n<thead><tr>")
                .append("<th scope=\"col\">Micro</th><th scope=\"col\">State</th><th scope=\"col\">Process</th><th scope=\"col\">Cold starts</th>")
                .append("<th scope=\"col\">Requests</th><th scope=\"col\">2xx / 3xx / 4xx / 5xx</th><th scope=\"col\">Limits hit</th>")
                .append("<th scope=\"col\">Memory</th><th scope=\"col\">Processes</th><th scope=\"col\">Last 10 minutes</th></tr></thead>\n<tbody>\n");
        for (Micro m : runtime.app().micros()) {
            Supervisor s = runtime.supervisor(m);
            Metrics.Counters c = runtime.metrics().of(m.name());
            String state = state(m);
            String problem = s == null ? null : s.problem();
            h.append("<tr data-micro=\"").append(esc(m.name())).append("\" data-state=\"").append(esc(state)).append("\">")
                    .append("<th scope=\"row\">").append(esc(m.name())).append("<br><small><code>").append(esc(path(m))).append("</code> ")
                    .append(esc(m.engine().id())).append("</small></th>")
                    .append("<td><span class=\"state ").append(state.replace(' ', '-')).append("\">").append(esc(state)).append("</span>");
            if (problem != null) h.append("<small class=\"problem\">").append(esc(problem)).append("</small>");
            String error = problem == null || !logs ? null : LogTail.errorLine(s.lastLines(50)); // a log line: the owner's only
            if (error != null) h.append("<code class=\"error\">").append(esc(error)).append("</code>");
            h.append("</td>");
            if (s == null) {
                h.append("<td class=\"muted\">").append(esc(runtime.plan(m) instanceof Engines.Folder ? "served by micros" : runtime.plan(m).describe()))
                        .append("</td><td class=\"muted\">&ndash;</td>");
            } else {
                h.append("<td>").append(s.pid() > 0 ? "<span class=\"n\">pid " + s.pid() + "</span>" : "<span class=\"muted\">not running</span>");
                if (s.uptimeMillis() >= 0) h.append("<br><small class=\"n\">up ").append(duration(s.uptimeMillis())).append("</small>");
                h.append(instancesLine(s));
                h.append("</td><td class=\"cold\">").append(s.coldStarts())
                        .append(s.lastColdStartMillis() >= 0 ? " <small>(last " + s.lastColdStartMillis() + " ms)</small>" : "").append("</td>");
            }
            h.append("<td><span class=\"n\">").append(c.requests.sum()).append("</span></td><td><span class=\"n\">").append(c.c2xx.sum()).append(" / ")
                    .append(c.c3xx.sum()).append(" / ").append(c.c4xx.sum()).append(" / ").append(c.c5xx.sum()).append("</span></td>")
                    .append("<td>").append(limitsHit(c)).append("</td>");
            if (s == null) h.append("<td class=\"muted\">&ndash;</td><td class=\"muted\">&ndash;</td>");
            else h.append("<td>").append(memory(s)).append("</td><td>").append(pids(s)).append("</td>");
            h.append("<td>").append(spark(c.rate(), "requests per second", "req/s"));
            if (s != null) h.append(spark(c.memory(), "memory in MiB", "MiB"));
            h.append("</td></tr>\n");
        }
        h.append("</tbody></table></section>\n");
        actions(h);
        if (!logs) return h.append("<section aria-labelledby=\"logs-h\"><h2 id=\"logs-h\">Requests and logs</h2>\n<p class=\"muted\">The request log and "
                + "log lines are shown to the app's owner only: start micros with --owner-token T and open ?space_token=T.</p>\n</section>\n").toString();
        requests(h);
        h.append("<section aria-labelledby=\"logs-h\"><h2 id=\"logs-h\">Logs</h2>\n");
        for (Micro m : runtime.app().micros()) {
            Supervisor s = runtime.supervisor(m);
            List<MicroLogs.Entry> lines = this.lines.last(m.name(), 50);
            if (s == null && lines.isEmpty()) continue; // a static micro without a build: nothing to show
            boolean open = s != null && s.problem() != null; // a micro that failed: its log is where the reason is
            h.append("<details data-micro=\"").append(esc(m.name())).append('"').append(open ? " open" : "").append("><summary>").append(esc(m.name()))
                    .append(" <span class=\"muted\">(last ").append(lines.size()).append(" lines)</span></summary><pre>");
            for (MicroLogs.Entry e : lines) {
                h.append("<span class=\"t\">").append(Page.CLOCK.format(e.time())).append("</span> ");
                if (e.own()) h.append("<span class=\"own\">micros</span> ");
                else if (e.stream().equals("build")) h.append("<span class=\"t\">build</span> ");
                String text = esc(log.redact(e.text()));
                h.append(e.stream().equals("stderr") && LogTail.errorLine(List.of(e.text())) != null ? "<span class=\"err\">" + text + "</span>" : text).append('\n');
            }
            h.append("</pre></details>\n");
        }
        return h.append("</section>\n").toString();
    }

    /** The newest requests first, as many as the page shows; the JSON has them all. */
    private void requests(StringBuilder h) {
        List<RequestLog.Entry> all = requests.entries(SHOWN_REQUESTS);
        h.append("<section aria-labelledby=\"requests-h\"><h2 id=\"requests-h\">Requests</h2>\n");
        if (all.isEmpty()) {
            h.append("<p class=\"muted\">No request yet.</p></section>\n");
            return;
        }
        h.append("<p class=\"muted\">The last ").append(all.size()).append(" (the last ").append(RequestLog.CAPACITY)
                .append(" at <a href=\"/__micros/api/requests\">/__micros/api/requests</a>); query values are not shown.</p>\n")
                .append("<table id=\"requests\">\n<thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Method</th><th scope=\"col\">Path</th>")
                .append("<th scope=\"col\">Micro</th><th scope=\"col\">Status</th><th scope=\"col\">Duration</th><th scope=\"col\">What happened</th></tr></thead>\n<tbody>\n");
        for (int i = all.size() - 1; i >= 0; i--) {
            RequestLog.Entry e = all.get(i);
            h.append("<tr><td class=\"n\">").append(Page.CLOCK.format(e.time())).append("</td><td>").append(esc(e.method())).append("</td><td><code>")
                    .append(esc(e.path())).append("</code></td><td>").append(e.micro() == null ? "<span class=\"muted\">micros</span>" : esc(e.micro()))
                    .append(e.instance() == 0 ? "" : " <small class=\"muted\">#" + e.instance() + "</small>")
                    .append("</td><td class=\"s").append(e.status() / 100).append("\">").append(e.status()).append("</td><td class=\"n\">")
                    .append(String.format(Locale.ROOT, e.millis() < 10 ? "%.1f ms" : "%.0f ms", e.millis())).append("</td><td>").append(esc(e.notes()))
                    .append("</td></tr>\n");
        }
        h.append("</tbody></table></section>\n");
    }

    private void actions(StringBuilder h) {
        Scheduler sch = scheduler;
        if (sch == null || sch.entries().isEmpty()) return;
        h.append("<section aria-labelledby=\"actions-h\"><h2 id=\"actions-h\">Scheduled actions</h2>\n<table id=\"actions\">\n<thead><tr>")
                .append("<th scope=\"col\">Action</th><th scope=\"col\">Micro</th><th scope=\"col\">Schedule</th><th scope=\"col\">Last run</th>")
                .append("<th scope=\"col\">Next run</th><th scope=\"col\"><span class=\"visually-hidden\">Run</span></th></tr></thead>\n<tbody>\n");
        for (Scheduler.Entry e : sch.entries()) {
            Scheduler.Result r = e.lastResult();
            String last = r == null ? "never" : Page.TIME.format(e.lastRun()) + " &middot; " + (r.status() == 0 ? "failed" : Integer.toString(r.status())) + " in " + r.millis() + " ms";
            h.append("<tr data-action=\"").append(esc(e.action.id())).append("\"><th scope=\"row\">").append(esc(e.action.name()))
                    .append(" <small class=\"muted\">").append(esc(e.action.id())).append("</small></th><td>").append(esc(e.micro.name()))
                    .append("</td><td><code>").append(esc(e.action.interval())).append("</code></td><td>").append(last)
                    .append("</td><td>").append(Page.TIME.format(e.next())).append("</td><td><form method=\"post\" action=\"/__micros/actions/")
                    .append(esc(e.action.id())).append("\"><button type=\"submit\" aria-label=\"Run action ").append(esc(e.action.name()))
                    .append(" now\">Run now</button></form></td></tr>\n");
        }
        h.append("</tbody></table></section>\n");
    }

    /** Its instances: how many are running a request, frozen, warm (idle) and starting, the requests waiting for one, and each. */
    private static void instancesJson(StringBuilder sb, Supervisor s) {
        List<Supervisor.InstanceView> all = s.instances();
        sb.append(",\"instances\":{\"cap\":").append(s.cap()).append(",\"running\":").append(count(all, "running"))
                .append(",\"frozen\":").append(count(all, "frozen")).append(",\"warm\":").append(count(all, "warm"))
                .append(",\"starting\":").append(count(all, "starting")).append(",\"waiting\":").append(s.waiting()).append(",\"list\":[");
        for (int k = 0; k < all.size(); k++) {
            Supervisor.InstanceView v = all.get(k);
            sb.append(k == 0 ? "" : ",").append("{\"number\":").append(v.number()).append(",\"pid\":").append(v.pid() > 0 ? Long.toString(v.pid()) : "null")
                    .append(",\"state\":").append(Json.quote(v.state())).append(",\"uptimeMs\":").append(num(v.uptimeMillis()))
                    .append(",\"inFlight\":").append(v.inFlight()).append(",\"memoryBytes\":").append(num(v.memoryBytes())).append('}');
        }
        sb.append("]}");
    }

    private static int count(List<Supervisor.InstanceView> all, String state) {
        int n = 0;
        for (Supervisor.InstanceView v : all) if (v.state().equals(state)) n++;
        return n;
    }

    /** "3 instances: 1 running, 2 frozen" (the cap in the title); nothing for a micro of one shared process. */
    private static String instancesLine(Supervisor s) {
        List<Supervisor.InstanceView> all = s.instances();
        if (s.cap() == 1 || all.isEmpty()) return "";
        StringBuilder b = new StringBuilder("<br><small class=\"n\" title=\"at most ").append(s.cap()).append(" (--instances)\">")
                .append(all.size()).append(all.size() == 1 ? " instance: " : " instances: ");
        String sep = "";
        for (String state : List.of("running", "frozen", "warm", "starting", "stopping")) {
            int n = count(all, state);
            if (n == 0) continue;
            b.append(sep).append(n).append(' ').append(state);
            sep = ", ";
        }
        if (s.waiting() > 0) b.append("; ").append(s.waiting()).append(" waiting");
        return b.append("</small>").toString();
    }

    private String limitsHit(Metrics.Counters c) {
        long t = c.timeouts.sum(), o = c.oom.sum(), p = c.payload.sum();
        if (t + o + p == 0) return "<span class=\"muted\">none</span>";
        StringBuilder sb = new StringBuilder();
        if (t > 0) sb.append("<span class=\"hit\">").append(t).append(" &times; 504 timeout</span> ");
        if (o > 0) sb.append("<span class=\"hit\">").append(o).append(" &times; 502 out of memory</span> ");
        if (p > 0) sb.append("<span class=\"hit\">").append(p).append(" &times; 413 payload</span>");
        return sb.toString().strip();
    }

    private String memory(Supervisor s) {
        if (s.pid() <= 0 && s.remote() == null) return "<span class=\"muted\">&ndash;</span>"; // no process: whatever its group still counts is no micro's
        long cur = s.memoryCurrent(), peak = s.memoryPeak(), limit = cfg.limits().memory();
        if (cur < 0) return "<span class=\"muted\">" + (runtime.limiter().byPlatform() ? micros.sandbox.Limiter.PLATFORM
                : runtime.limiter().mode() == micros.sandbox.Limiter.Mode.NONE ? "not limited" : "&ndash;") + "</span>";
        return "<meter min=\"0\" max=\"" + limit + "\" value=\"" + Math.min(cur, limit) + "\" high=\"" + (limit * 8 / 10) + "\" aria-label=\"memory used\"></meter> "
                + "<span class=\"n\">" + Units.formatSize(cur) + "</span><br><small class=\"n\">of " + Units.formatSize(limit)
                + (peak > 0 ? ", peak " + Units.formatSize(peak) : "") + "</small>";
    }

    private String pids(Supervisor s) {
        long cur = s.pidsCurrent();
        return cur < 0 || s.pid() <= 0 ? "<span class=\"muted\">&ndash;</span>" : "<span class=\"n\">" + cur + " of " + cfg.limits().pids() + "</span>";
    }

    /** A small inline SVG line of the last ten minutes, with its latest value. */
    private static String spark(double[] v, String label, String unit) {
        int w = 120, hgt = 24;
        double max = 0;
        for (double x : v) max = Math.max(max, x);
        StringBuilder pts = new StringBuilder();
        if (v.length == 1) v = new double[] {v[0], v[0]}; // one sample is a short flat line, not an invisible point
        for (int i = 0; i < v.length; i++) {
            double x = v.length == 1 ? w : (double) i * w / (Metrics.SAMPLES - 1) + (Metrics.SAMPLES - v.length) * (double) w / (Metrics.SAMPLES - 1);
            double y = max <= 0 || v[i] < 0 ? hgt - 1 : hgt - 1 - (v[i] / max) * (hgt - 2);
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        String latest = v.length == 0 || v[v.length - 1] < 0 ? "no data yet" : String.format(Locale.ROOT, "%.1f %s now", v[v.length - 1], unit);
        return "<div class=\"spark-row\"><svg class=\"spark\" width=\"" + w + "\" height=\"" + hgt + "\" viewBox=\"0 0 " + w + " " + hgt + "\" role=\"img\" aria-label=\"" + label
                + " over the last 10 minutes: " + latest + "\"><title>" + label + ": " + latest + "</title><polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" points=\""
                + pts.toString().strip() + "\"/></svg><small>" + latest + "</small></div>";
    }

    private static String path(Micro m) {
        return m.prefix().isEmpty() ? "/" : m.prefix();
    }

    private static String num(long v) {
        return v < 0 ? "null" : Long.toString(v);
    }

    private static String array(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ",").append(v[i] < 0 ? "null" : String.format(Locale.ROOT, "%.2f", v[i]));
        return sb.append(']').toString();
    }

    static String duration(long ms) {
        long s = ms / 1000;
        if (s < 60) return s + " s";
        if (s < 3600) return s / 60 + " min " + s % 60 + " s";
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static String time(Instant i) {
        return Page.TIME.format(i);
    }

    private static String resource(String name) {
        try (java.io.InputStream in = Dashboard.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("the jar lacks " + name);
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
