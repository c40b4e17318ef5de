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
import micros.runtime.Metrics;
import micros.runtime.RunConfig;
import micros.runtime.Supervisor;
import micros.spacefile.App.Micro;
import micros.util.Json;

/**
 * The live dashboard at /__micros/: each micro's state, cold starts, traffic, limits hit,
 * memory and processes against the limits, recent log lines, and the scheduled actions.
 * One HTML page from the jar, readable without JavaScript (the data is in the HTML); a few
 * lines of script refresh it every 2 seconds. The same data as JSON at /__micros/api/state.
 */
final class Dashboard {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
    private final AppRuntime runtime;
    private final RunConfig cfg;
    private final long started = System.currentTimeMillis();
    private volatile Scheduler scheduler;

    Dashboard(AppRuntime runtime, RunConfig cfg) {
        this.runtime = runtime;
        this.cfg = cfg;
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
                        .append(",\"problem\":").append(Json.quote(s.problem()))
                        .append(",\"memoryBytes\":").append(num(s.group().memoryCurrent()))
                        .append(",\"memoryPeakBytes\":").append(num(s.group().memoryPeak()))
                        .append(",\"pidsCurrent\":").append(num(s.group().pidsCurrent()));
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
                + "<title>micros: " + esc(runtime.app().displayName()) + "</title>\n<style>\n" + CSS + "</style>\n</head>\n<body>\n"
                + "<header><h1>" + esc(runtime.app().displayName()) + " <span class=\"muted\">on micros</span></h1>\n"
                + "<p class=\"muted\">" + esc(runtime.limiter().summary()) + "<br>" + esc(runtime.sandbox().summary())
                + (cfg.isPublic() ? "<br>authentication: off (--public)" : "") + "</p>\n<nav><a href=\"/__micros/data\">Data: Bases and Drives</a></nav></header>\n"
                + "<main id=\"live\" aria-live=\"off\">\n" + fragment(logs) + "</main>\n"
                + "<p id=\"notice\" role=\"status\" aria-live=\"polite\"></p>\n"
                + "<script>\n" + JS + "</script>\n</body>\n</html>\n";
    }

    /** Everything that changes: what the page's script fetches every 2 s (?fragment=1). */
    String fragment(boolean logs) {
        StringBuilder h = new StringBuilder(8192);
        h.append("<section aria-labelledby=\"micros-h\"><h2 id=\"micros-h\">Micros</h2>\n<table id=\"micros\">\n<thead><tr>")
                .append("<th scope=\"col\">Micro</th><th scope=\"col\">State</th><th scope=\"col\">Engine</th><th scope=\"col\">Path</th>")
                .append("<th scope=\"col\">PID</th><th scope=\"col\">Up</th><th scope=\"col\">Cold starts</th><th scope=\"col\">Requests</th>")
                .append("<th scope=\"col\">2xx / 3xx / 4xx / 5xx</th><th scope=\"col\">Limits hit</th><th scope=\"col\">Memory</th>")
                .append("<th scope=\"col\">Processes</th><th scope=\"col\">Last 10 minutes</th></tr></thead>\n<tbody>\n");
        for (Micro m : runtime.app().micros()) {
            Supervisor s = runtime.supervisor(m);
            Metrics.Counters c = runtime.metrics().of(m.name());
            String state = state(m);
            h.append("<tr data-micro=\"").append(esc(m.name())).append("\" data-state=\"").append(esc(state)).append("\">")
                    .append("<th scope=\"row\">").append(esc(m.name())).append("</th>")
                    .append("<td><span class=\"state ").append(state.replace(' ', '-')).append("\">").append(esc(state)).append("</span>");
            if (s != null && s.problem() != null) h.append("<br><small>").append(esc(s.problem())).append("</small>");
            h.append("</td><td>").append(esc(m.engine().id())).append("</td><td><code>").append(esc(path(m))).append("</code></td>");
            if (s == null) {
                h.append("<td colspan=\"3\" class=\"muted\">").append(esc(runtime.plan(m) instanceof Engines.Folder ? "served by micros" : runtime.plan(m).describe())).append("</td>");
            } else {
                h.append("<td>").append(s.pid() > 0 ? Long.toString(s.pid()) : "&ndash;").append("</td>")
                        .append("<td>").append(s.uptimeMillis() >= 0 ? duration(s.uptimeMillis()) : "&ndash;").append("</td>")
                        .append("<td class=\"cold\">").append(s.coldStarts())
                        .append(s.lastColdStartMillis() >= 0 ? " <small>(last " + s.lastColdStartMillis() + " ms)</small>" : "").append("</td>");
            }
            h.append("<td>").append(c.requests.sum()).append("</td><td>").append(c.c2xx.sum()).append(" / ").append(c.c3xx.sum())
                    .append(" / ").append(c.c4xx.sum()).append(" / ").append(c.c5xx.sum()).append("</td>")
                    .append("<td>").append(limitsHit(c)).append("</td>");
            if (s == null) h.append("<td class=\"muted\">&ndash;</td><td class=\"muted\">&ndash;</td>");
            else h.append("<td>").append(memory(s)).append("</td><td>").append(pids(s)).append("</td>");
            h.append("<td>").append(spark(c.rate(), "requests per second", "req/s"));
            if (s != null) h.append(spark(c.memory(), "memory in MiB", "MiB"));
            h.append("</td></tr>\n");
        }
        h.append("</tbody></table></section>\n");
        actions(h);
        h.append("<section aria-labelledby=\"logs-h\"><h2 id=\"logs-h\">Logs</h2>\n");
        if (!logs) return h.append("<p class=\"muted\">Log lines are shown to the app's owner only: start micros with --owner-token T and open ?space_token=T.</p>\n</section>\n").toString();
        for (Micro m : runtime.app().micros()) {
            Supervisor s = runtime.supervisor(m);
            if (s == null) continue;
            List<String> lines = s.lastLines(50);
            h.append("<details><summary>").append(esc(m.name())).append(" <span class=\"muted\">(last ").append(lines.size()).append(" lines)</span></summary><pre>");
            for (String l : lines) h.append(esc(l)).append('\n');
            h.append("</pre></details>\n");
        }
        return h.append("</section>\n").toString();
    }

    private void actions(StringBuilder h) {
        Scheduler sch = scheduler;
        if (sch == null || sch.entries().isEmpty()) return;
        h.append("<section aria-labelledby=\"actions-h\"><h2 id=\"actions-h\">Scheduled actions</h2>\n<table id=\"actions\">\n<thead><tr>")
                .append("<th scope=\"col\">Action</th><th scope=\"col\">Micro</th><th scope=\"col\">Schedule</th><th scope=\"col\">Last run</th>")
                .append("<th scope=\"col\">Next run</th><th scope=\"col\"><span class=\"visually-hidden\">Run</span></th></tr></thead>\n<tbody>\n");
        for (Scheduler.Entry e : sch.entries()) {
            Scheduler.Result r = e.lastResult();
            String last = r == null ? "never" : TIME.format(e.lastRun()) + " &middot; " + (r.status() == 0 ? "failed" : Integer.toString(r.status())) + " in " + r.millis() + " ms";
            h.append("<tr data-action=\"").append(esc(e.action.id())).append("\"><th scope=\"row\">").append(esc(e.action.name()))
                    .append(" <small class=\"muted\">").append(esc(e.action.id())).append("</small></th><td>").append(esc(e.micro.name()))
                    .append("</td><td><code>").append(esc(e.action.interval())).append("</code></td><td>").append(last)
                    .append("</td><td>").append(TIME.format(e.next())).append("</td><td><form method=\"post\" action=\"/__micros/actions/")
                    .append(esc(e.action.id())).append("\"><button type=\"submit\" aria-label=\"Run action ").append(esc(e.action.name()))
                    .append(" now\">Run now</button></form></td></tr>\n");
        }
        h.append("</tbody></table></section>\n");
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
        long cur = s.group().memoryCurrent(), peak = s.group().memoryPeak(), limit = cfg.limits().memory();
        if (cur < 0) return "<span class=\"muted\">" + (runtime.limiter().byPlatform() ? micros.sandbox.Limiter.PLATFORM
                : runtime.limiter().mode() == micros.sandbox.Limiter.Mode.NONE ? "not limited" : "&ndash;") + "</span>";
        return "<meter min=\"0\" max=\"" + limit + "\" value=\"" + Math.min(cur, limit) + "\" high=\"" + (limit * 8 / 10) + "\" aria-label=\"memory used\"></meter> "
                + Units.formatSize(cur) + " of " + Units.formatSize(limit) + (peak > 0 ? " <small>(peak " + Units.formatSize(peak) + ")</small>" : "");
    }

    private String pids(Supervisor s) {
        long cur = s.group().pidsCurrent();
        return cur < 0 ? "<span class=\"muted\">&ndash;</span>" : cur + " of " + cfg.limits().pids();
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
                + pts.toString().strip() + "\"/></svg> <small>" + latest + "</small></div>";
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
        return TIME.format(i);
    }

    private static final String CSS = """
            :root { color-scheme: light dark; --bg: #fff; --fg: #1b1b1f; --muted: #6a6a75; --line: #e2e2e8; --ok: #137333; --warn: #b06000; --bad: #b3261e; --chip: #f1f1f5; }
            @media (prefers-color-scheme: dark) { :root { --bg: #16161a; --fg: #ececf1; --muted: #a0a0ab; --line: #2c2c33; --ok: #6dd58c; --warn: #ffb95c; --bad: #ff8a80; --chip: #24242b; } }
            body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; }
            h1 { font-size: 1.4rem; margin: 0 0 .3rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
            .muted { color: var(--muted); } small { color: var(--muted); }
            table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
            thead th { font-weight: 600; font-size: .85rem; color: var(--muted); }
            .state { padding: .05rem .45rem; border-radius: .7rem; background: var(--chip); white-space: nowrap; }
            .state.awake, .state.frozen { color: var(--ok); } .state.starting, .state.stopping { color: var(--warn); } .state.backing-off, .state.unavailable, .state.killed { color: var(--bad); }
            .hit { color: var(--bad); white-space: nowrap; } .spark { vertical-align: middle; color: var(--ok); } .spark-row { white-space: nowrap; }
            pre { background: var(--chip); padding: .6rem; overflow: auto; max-height: 24rem; } details { margin: .3rem 0; }
            button { font: inherit; padding: .2rem .7rem; border-radius: .3rem; border: 1px solid var(--line); background: var(--chip); color: var(--fg); cursor: pointer; }
            button:focus-visible { outline: 2px solid var(--ok); outline-offset: 2px; }
            .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
            """;

    private static final String JS = """
            // Refreshes the live part every 2 s; runs actions without leaving the page. Without script, the page is plain HTML.
            const live = document.getElementById('live'), notice = document.getElementById('notice');
            const open = () => new Set([...live.querySelectorAll('details[open] summary')].map(s => s.textContent));
            async function refresh() {
              try {
                const r = await fetch('/__micros/?fragment=1', { cache: 'no-store' });
                if (!r.ok) return;
                const keep = open();
                live.innerHTML = await r.text();
                live.querySelectorAll('details summary').forEach(s => { if (keep.has(s.textContent)) s.parentElement.open = true; });
              } catch (e) { /* micros stopped: keep the last view */ }
            }
            setInterval(refresh, 2000);
            live.addEventListener('submit', async (ev) => {
              ev.preventDefault();
              const form = ev.target, button = form.querySelector('button');
              button.disabled = true;
              notice.textContent = 'running ' + form.action.split('/').pop() + '...';
              const r = await fetch(form.action, { method: 'POST' });
              notice.textContent = 'action ' + form.action.split('/').pop() + ': ' + r.status + ' ' + (await r.text()).slice(0, 200);
              await refresh();
            });
            """;
}
