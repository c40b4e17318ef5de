package micros.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import micros.data.DataServer;
import micros.data.JsonOut;
import micros.data.base.BaseService;
import micros.data.drive.DriveService;
import micros.data.drive.DriveStore;
import micros.http.Exchange;
import micros.util.Units;

/**
 * The dashboard's Data view at /__micros/data, as Space's Base UI and Drive UI showed an app's
 * data: each Base with its item count and first items, and a query box (Deta's query language,
 * as JSON); each Drive with its files and a download link. Plain HTML forms, no script.
 */
final class DataPage {
    private static final int SHOWN_ITEMS = 20, SHOWN_FILES = 200;
    private final DataServer data;

    DataPage(DataServer data) {
        this.data = data;
    }

    void serve(Exchange ex, String path) throws IOException {
        if (!ex.method().equals("GET") && !ex.method().equals("HEAD")) {
            ex.addHeader("Allow", "GET, HEAD");
            Responses.text(ex, 405, "the data view is read with GET\n");
            return;
        }
        Map<String, String> q = DriveService.queryParams(ex.rawQuery());
        if (path.equals("/__micros/data/download")) download(ex, q.get("drive"), q.get("name"));
        else if (path.equals("/__micros/data") || path.equals("/__micros/data/")) Responses.html(ex, 200, page(q.get("base"), q.get("query")));
        else Responses.text(ex, 404, "no such micros endpoint\n");
    }

    private void download(Exchange ex, String drive, String name) throws IOException {
        DriveStore store = data.drive().store();
        Path f = drive == null || name == null || DriveStore.invalidDriveReason(drive) != null || DriveStore.invalidNameReason(name) != null ? null : store.file(drive, name);
        if (f == null) {
            Responses.text(ex, 404, "no such file\n");
            return;
        }
        try (InputStream in = Files.newInputStream(f)) {
            micros.data.drive.InertDownload.headers(ex, name, store.type(drive, name), true);
            ex.addHeader("Cache-Control", "no-store");
            long size = Files.size(f);
            ex.sendFixed(200, java.nio.channels.Channels.newChannel(in), size);
        }
    }

    String page(String queriedBase, String query) throws IOException {
        StringBuilder h = new StringBuilder(8192);
        h.append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta name=\"color-scheme\" content=\"light dark\">\n<title>micros: data</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n")
                .append("<header><h1>Data <span class=\"muted\">on micros</span></h1>\n<p><a href=\"/__micros/\">&larr; dashboard</a> &middot; stored in <code>")
                .append(Dashboard.esc(data.dataDir().toString())).append("</code> &middot; served at <code>https://").append(Dashboard.esc(data.hostPort()))
                .append("</code></p></header>\n<main>\n");
        bases(h, queriedBase, query);
        drives(h);
        return h.append("</main>\n</body>\n</html>\n").toString();
    }

    private void bases(StringBuilder h, String queriedBase, String query) {
        BaseService base = data.base();
        List<String> names = base.names();
        h.append("<section aria-labelledby=\"bases-h\"><h2 id=\"bases-h\">Bases</h2>\n");
        if (names.isEmpty()) h.append("<p class=\"muted\">No Base holds items yet.</p>\n");
        for (String name : names) {
            long count = base.count(name);
            boolean queried = name.equals(queriedBase) && query != null && !query.isBlank();
            h.append("<article class=\"base\" data-base=\"").append(Dashboard.esc(name)).append("\"><h3>").append(Dashboard.esc(name))
                    .append(" <small>").append(count).append(count == 1 ? " item" : " items").append("</small></h3>\n")
                    .append("<form method=\"get\" action=\"/__micros/data\"><input type=\"hidden\" name=\"base\" value=\"").append(Dashboard.esc(name)).append("\">")
                    .append("<label>Query <input name=\"query\" size=\"48\" placeholder='{\"age?gt\": 20}' aria-label=\"query for ").append(Dashboard.esc(name))
                    .append("\" value=\"").append(queried ? Dashboard.esc(query) : "").append("\"></label> <button type=\"submit\">Fetch</button></form>\n");
            List<Object> items;
            String heading;
            try {
                if (queried) {
                    items = base.query(name, query, SHOWN_ITEMS);
                    heading = "Items matching the query" + (items.size() == SHOWN_ITEMS ? " (first " + SHOWN_ITEMS + ")" : "");
                } else {
                    items = base.query(name, null, SHOWN_ITEMS); // the first ones only: a base may hold millions
                    heading = count > SHOWN_ITEMS ? "First " + SHOWN_ITEMS + " items" : "Items";
                }
            } catch (RuntimeException e) {
                h.append("<p class=\"bad\" role=\"alert\">The query is not valid: ").append(Dashboard.esc(e.getMessage())).append("</p></article>\n");
                continue;
            }
            h.append("<table><caption>").append(heading).append("</caption><thead><tr><th scope=\"col\">key</th><th scope=\"col\">item</th></tr></thead><tbody>\n");
            for (Object item : items) {
                Object key = item instanceof Map<?, ?> m ? m.get("key") : null;
                h.append("<tr><th scope=\"row\"><code>").append(Dashboard.esc(String.valueOf(key))).append("</code></th><td><code>")
                        .append(Dashboard.esc(JsonOut.write(item))).append("</code></td></tr>\n");
            }
            if (items.isEmpty()) h.append("<tr><td colspan=\"2\" class=\"muted\">none</td></tr>\n");
            h.append("</tbody></table></article>\n");
        }
        h.append("</section>\n");
    }

    private void drives(StringBuilder h) throws IOException {
        DriveStore store = data.drive().store();
        List<String> drives = store.drives();
        h.append("<section aria-labelledby=\"drives-h\"><h2 id=\"drives-h\">Drives</h2>\n");
        if (drives.isEmpty()) h.append("<p class=\"muted\">No Drive holds files yet.</p>\n");
        for (String d : drives) {
            List<String> names = store.names(d);
            h.append("<article class=\"drive\" data-drive=\"").append(Dashboard.esc(d)).append("\"><h3>").append(Dashboard.esc(d)).append(" <small>")
                    .append(names.size()).append(names.size() == 1 ? " file" : " files").append("</small></h3>\n<table><thead><tr><th scope=\"col\">name</th>")
                    .append("<th scope=\"col\">size</th><th scope=\"col\">type</th></tr></thead><tbody>\n");
            for (String n : names.subList(0, Math.min(names.size(), SHOWN_FILES))) {
                Path f = store.file(d, n);
                String size = f == null ? "&ndash;" : Units.formatSize(Files.size(f));
                h.append("<tr><th scope=\"row\"><a download href=\"/__micros/data/download?drive=").append(enc(d)).append("&amp;name=").append(enc(n)).append("\">")
                        .append(Dashboard.esc(n)).append("</a></th><td>").append(size).append("</td><td>").append(Dashboard.esc(store.type(d, n))).append("</td></tr>\n");
            }
            if (names.size() > SHOWN_FILES) h.append("<tr><td colspan=\"3\" class=\"muted\">and ").append(names.size() - SHOWN_FILES).append(" more</td></tr>\n");
            h.append("</tbody></table></article>\n");
        }
        h.append("</section>\n");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static final String CSS = """
            :root { color-scheme: light dark; --bg: #fff; --fg: #1b1b1f; --muted: #6a6a75; --line: #e2e2e8; --bad: #b3261e; --chip: #f1f1f5; }
            @media (prefers-color-scheme: dark) { :root { --bg: #16161a; --fg: #ececf1; --muted: #a0a0ab; --line: #2c2c33; --bad: #ff8a80; --chip: #24242b; } }
            body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; }
            h1 { font-size: 1.4rem; margin: 0 0 .3rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
            .muted, small { color: var(--muted); } .bad { color: var(--bad); } a { color: inherit; }
            table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
            caption { text-align: left; color: var(--muted); padding: .3rem 0; } thead th { font-weight: 600; font-size: .85rem; color: var(--muted); }
            td code { white-space: pre-wrap; word-break: break-word; }
            input, button { font: inherit; padding: .2rem .5rem; border-radius: .3rem; border: 1px solid var(--line); background: var(--chip); color: var(--fg); }
            button:focus-visible, input:focus-visible { outline: 2px solid currentColor; outline-offset: 2px; }
            """;
}
