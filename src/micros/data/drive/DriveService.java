package micros.data.drive;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import micros.data.JsonOut;
import micros.http.Exchange;
import micros.http.Handler;
import micros.util.Json;

/**
 * Deta Drive's HTTP API v1 (reference/http-api/drive) over a {@link DriveStore}:
 * {@code /v1/<project_id>/<drive>/files}, {@code /files/download}, {@code /uploads...}.
 * Authentication as Deta did it: X-API-Key is the project key and the path's project id is its prefix.
 */
public final class DriveService implements Handler {
    static final long MAX_DIRECT = 10L << 20;   // "We do not accept payloads larger than 10 Mb on this endpoint"
    static final long MAX_PART = 10L << 20;     // "Each chunk must be ... at most 10 Mb"
    static final long MIN_PART = 5L << 20;      // "... at least 5 Mb ... The final chunk can be less than 5 Mb"
    /** The largest file the API can make: parts 1 to 10,000 of 10 MB each (~98 GiB). */
    public static final long MAX_FILE = 10_000 * MAX_PART;
    private static final byte[] TOO_LARGE = "<h1> 413 - Request Entity Too Large </h1>\n".getBytes(StandardCharsets.UTF_8);
    private final DriveStore store;
    private final String projectId, projectKey;
    private volatile Consumer<String> notices = System.err::println;

    public DriveService(Path dataDir, String projectId, String projectKey) throws IOException {
        this.store = new DriveStore(dataDir);
        this.projectId = projectId;
        this.projectKey = projectKey;
    }

    public DriveStore store() {
        return store;
    }

    /** Where a failure that is no client's doing is told (one line; the client gets no host path). */
    public void notices(Consumer<String> notices) {
        this.notices = notices;
    }

    /** Before the body is read: a body over Drive's 10 MB is refused by its length, as Deta did, without reading it. */
    @Override
    public boolean admit(Exchange ex) throws IOException {
        if (ex.contentLength() <= MAX_DIRECT) return true;
        tooLarge(ex);
        return false;
    }

    @Override
    public void handle(Exchange ex) throws IOException {
        String[] p = ex.rawPath().split("/", 5); // "", v1, pid, drive, rest
        if (p.length < 5 || !p[1].equals("v1")) {
            error(ex, 404, "not found");
            return;
        }
        if (!projectKey.equals(ex.header("X-API-Key")) || !projectId.equals(decode(p[2]))) {
            error(ex, 401, "Unauthorized");
            return;
        }
        serve(ex, decode(p[3]), "/" + p[4]);
    }

    /**
     * A request for one drive, already authenticated ({@code rest}: "/files...", "/uploads...").
     * A storage failure is a 500 that names no host path (the path goes to the notices).
     */
    public void serve(Exchange ex, String drive, String rest) throws IOException {
        try {
            route(ex, drive, rest);
        } catch (IOException | RuntimeException e) {
            if (ex.started()) throw e; // the answer is on its way: the connection is cut
            notices.accept("data: drive " + Json.quote(drive) + ": " + ex.method() + " failed: " + e);
            ex.clearHeaders();
            error(ex, 500, e instanceof IOException ? "Storage failed" : "Internal error");
        }
    }

    private void route(Exchange ex, String drive, String rest) throws IOException {
        String bad = DriveStore.invalidDrive(drive);
        if (bad != null) {
            error(ex, 400, bad);
            return;
        }
        Map<String, String> q = params(ex.rawQuery());
        String m = ex.method();
        if (rest.equals("/files")) {
            switch (m) {
                case "GET", "HEAD" -> list(ex, drive, q);
                case "POST" -> putDirect(ex, drive, q.get("name"));
                case "DELETE" -> deleteMany(ex, drive);
                default -> notAllowed(ex, "GET, POST, DELETE");
            }
        } else if (rest.equals("/files/download")) {
            if (m.equals("GET") || m.equals("HEAD")) download(ex, drive, q.get("name"));
            else notAllowed(ex, "GET");
        } else if (rest.equals("/uploads")) {
            if (m.equals("POST")) startUpload(ex, drive, q.get("name"));
            else notAllowed(ex, "POST");
        } else if (rest.startsWith("/uploads/")) {
            String[] u = rest.substring("/uploads/".length()).split("/", -1);
            String id = u[0], name = q.get("name");
            if (u.length == 2 && u[1].equals("parts")) {
                if (m.equals("POST")) part(ex, drive, id, name, q.get("part"));
                else notAllowed(ex, "POST");
            } else if (u.length == 1) {
                switch (m) {
                    case "PATCH" -> finish(ex, drive, id, name, true);
                    case "DELETE" -> finish(ex, drive, id, name, false);
                    default -> notAllowed(ex, "PATCH, DELETE");
                }
            } else error(ex, 404, "not found");
        } else error(ex, 404, "not found");
    }

    private void list(Exchange ex, String drive, Map<String, String> q) throws IOException {
        int limit = 1000;
        String l = q.get("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l.strip());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 1000) {
                error(ex, 400, "limit must be a number from 1 to 1000");
                return;
            }
        }
        String prefix = q.getOrDefault("prefix", ""), last = q.get("last");
        if (last != null && last.isEmpty()) last = null; // the Node SDK always sends last=
        // recursive=false (the Node SDK's option): the prefix's direct files, and each folder below it once, as "folder/"
        boolean recursive = !"false".equalsIgnoreCase(q.getOrDefault("recursive", "").strip());
        List<String> names = new ArrayList<>();
        boolean more = false;
        for (String n : store.names(drive)) { // sorted, so a folder's files come one after the other
            if (!n.startsWith(prefix)) continue;
            int slash = recursive ? -1 : n.indexOf('/', prefix.length());
            String entry = slash < 0 ? n : n.substring(0, slash + 1);
            if (last != null && entry.compareTo(last) <= 0 || !names.isEmpty() && names.get(names.size() - 1).equals(entry)) continue;
            if (names.size() == limit) {
                more = true;
                break;
            }
            names.add(entry);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        if (more) { // "paging" only when another page follows, as Deta answered (the Node SDK's tests)
            Map<String, Object> paging = new LinkedHashMap<>();
            paging.put("size", (long) names.size());
            paging.put("last", names.get(names.size() - 1));
            body.put("paging", paging);
        }
        body.put("names", names);
        json(ex, 200, body);
    }

    private void putDirect(Exchange ex, String drive, String name) throws IOException {
        if (!validName(ex, name)) return;
        if (ex.contentLength() > MAX_DIRECT) {
            tooLarge(ex);
            return;
        }
        if (!store.put(drive, name, ex.body(), MAX_DIRECT)) {
            tooLarge(ex);
            return;
        }
        store.type(drive, name, ex.header("Content-Type"));
        json(ex, 201, fileInfo(drive, name, null));
    }

    private void deleteMany(Exchange ex, String drive) throws IOException {
        Object body;
        try {
            body = Json.parse(new String(ex.body().readNBytes(1 << 20), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            error(ex, 400, "the body is not JSON");
            return;
        }
        if (!(body instanceof Map<?, ?> map) || !(map.get("names") instanceof List<?> names)) {
            error(ex, 400, "the body needs \"names\": a list of file names");
            return;
        }
        if (names.size() > 1000) {
            error(ex, 400, "at most 1000 names can be deleted at once");
            return;
        }
        if (names.stream().allMatch(DriveService::blank)) {
            error(ex, 400, "Names can't be empty"); // Deta's words, which the Node SDK repeats
            return;
        }
        List<Object> deleted = new ArrayList<>();
        Map<String, Object> failed = new LinkedHashMap<>();
        for (Object o : names) {
            String n = String.valueOf(o);
            String why = blank(o) ? "invalid name" : DriveStore.invalidName(n);
            if (why != null) {
                failed.put(n, why);
                continue;
            }
            try {
                store.delete(drive, n);
                deleted.add(n); // names that did not exist count as deleted too (reference)
            } catch (IOException e) {
                notices.accept("data: drive " + Json.quote(drive) + ": deleting " + Json.quote(n) + " failed: " + e);
                failed.put(n, "could not be deleted");
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("deleted", deleted);
        if (!failed.isEmpty()) out.put("failed", failed);
        json(ex, 200, out);
    }

    /** Not a name to delete: empty, only spaces, or not a string. */
    private static boolean blank(Object name) {
        return !(name instanceof String s) || s.isBlank();
    }

    private void download(Exchange ex, String drive, String name) throws IOException {
        if (!validName(ex, name)) return;
        Path f = store.file(drive, name);
        FileChannel opened;
        try {
            opened = f == null ? null : FileChannel.open(f, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            opened = null; // deleted between the look and the open
        }
        if (opened == null) {
            error(ex, 404, "file not found");
            return;
        }
        try (FileChannel in = opened) {
            long size = in.size(); // of the file opened, even if it is replaced meanwhile
            ex.addHeader("Accept-Ranges", "bytes");
            // a validator we never gave cannot match: If-Range then asks for the whole file
            ByteRange range = ex.header("If-Range") == null ? ByteRange.of(ex.header("Range"), size) : null;
            if (range == ByteRange.UNSATISFIABLE) {
                ex.addHeader("Content-Range", "bytes */" + size);
                error(ex, 416, "Range not satisfiable");
                return;
            }
            InertDownload.headers(ex, name, store.type(drive, name), false);
            if (range == null) {
                ex.sendFixed(200, in, size);
                return;
            }
            ex.addHeader("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + size);
            in.position(range.first());
            ex.sendFixed(206, in, range.length());
        }
    }

    private void startUpload(Exchange ex, String drive, String name) throws IOException {
        if (!validName(ex, name)) return;
        String id = store.startUpload(drive, name);
        json(ex, 202, fileInfo(drive, name, id));
    }

    private void part(Exchange ex, String drive, String id, String name, String part) throws IOException {
        if (!validName(ex, name)) return;
        int n;
        try {
            n = Integer.parseInt(part == null ? "" : part.strip());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > 10_000) {
            error(ex, 400, "part must be a number from 1 to 10000");
            return;
        }
        if (!store.uploadOf(drive, id, name)) {
            error(ex, 404, "upload not found");
            return;
        }
        if (ex.contentLength() > MAX_PART || !store.putPart(drive, id, n, ex.body(), MAX_PART)) {
            tooLarge(ex);
            return;
        }
        store.uploadType(drive, id, ex.header("Content-Type"));
        Map<String, Object> info = fileInfo(drive, name, id);
        info.put("part", (long) n);
        json(ex, 200, info);
    }

    private void finish(Exchange ex, String drive, String id, String name, boolean complete) throws IOException {
        if (!validName(ex, name)) return;
        if (!store.uploadOf(drive, id, name)) {
            error(ex, 404, "upload not found");
            return;
        }
        if (complete) {
            int small = store.smallPart(drive, id, MIN_PART);
            if (small > 0) { // the upload stays: the part can be sent again, or the upload aborted
                error(ex, 400, "Part " + small + " is under 5 MB: each part but the last must be at least 5 MB");
                return;
            }
            String type = store.uploadType(drive, id);
            store.completeUpload(drive, id, name);
            store.type(drive, name, type);
        } else store.abortUpload(drive, id);
        json(ex, 200, fileInfo(drive, name, id));
    }

    // ---- helpers ----

    private Map<String, Object> fileInfo(String drive, String name, String id) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        if (id != null) m.put("upload_id", id);
        m.put("project_id", projectId);
        m.put("drive_name", drive);
        return m;
    }

    private static boolean validName(Exchange ex, String name) throws IOException {
        String why = DriveStore.invalidName(name);
        if (why == null) return true;
        error(ex, 400, why);
        return false;
    }

    private static void tooLarge(Exchange ex) throws IOException {
        ex.closeAfter(); // the rest of the body is not read
        ex.send(413, "text/html", TOO_LARGE);
    }

    private static void notAllowed(Exchange ex, String allow) throws IOException {
        ex.addHeader("Allow", allow);
        error(ex, 405, "method not allowed");
    }

    static void error(Exchange ex, int status, String message) throws IOException {
        json(ex, status, Map.of("errors", List.of(message)));
    }

    static void json(Exchange ex, int status, Object body) throws IOException {
        ex.send(status, "application/json", JsonOut.write(body).getBytes(StandardCharsets.UTF_8));
    }

    /** A name from a path segment (percent-decoded; a plus stays a plus). */
    public static String pathName(String s) {
        return decode(s);
    }

    static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8); // a path's + is a plus
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** Query parameters as {@link #params} reads them (for the dashboard's forms). */
    public static Map<String, String> queryParams(String query) {
        return params(query);
    }

    /** Query parameters, decoded as a form (quote_plus: + is a space); the first of each name wins. */
    static Map<String, String> params(String query) {
        Map<String, String> m = new LinkedHashMap<>();
        if (query == null) return m;
        for (String kv : query.split("&")) {
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq), v = eq < 0 ? "" : kv.substring(eq + 1);
            try {
                m.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                // a malformed escape: the parameter is ignored
            }
        }
        return m;
    }
}
