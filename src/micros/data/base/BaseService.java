package micros.data.base;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import micros.http.Exchange;
import micros.http.Handler;
import micros.util.Json;
import micros.util.PrivateFiles;

/**
 * Deta Base's HTTP API v1 ({@code /v1/<project id>/<base>/items|items/<key>|query}) over the
 * bases stored in {@code dataDir/bases/}, one append-only log per base. Answers with Deta's
 * statuses and {@code {"errors": [...]}} bodies; every write is on disk before it is answered.
 */
public final class BaseService implements Handler {
    /** Deta refused requests over 16 MB. */
    static final int MAX_BODY = 16 << 20;
    private static final long PURGE_EVERY_MS = 30_000;

    private final Path dir;
    private final String projectId;
    private final byte[] projectKey;
    private final Map<String, Base> bases = new ConcurrentHashMap<>();
    /** The logs' files: a bounded number open, however many bases a micro makes. */
    private final OpenLogs logFiles = new OpenLogs(OpenLogs.MAX_OPEN);
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final Thread purger;
    /** Compactions run here, one at a time, so no write waits for one (its thread is made at the first). */
    private final java.util.concurrent.ExecutorService compactions = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "micros-base-compact");
        t.setDaemon(true);
        return t;
    });
    /** Names the staged logs of imports apart. */
    private final java.util.concurrent.atomic.AtomicInteger imports = new java.util.concurrent.atomic.AtomicInteger();
    private volatile Consumer<String> notices = System.err::println;

    public BaseService(Path dataDir, String projectId, String projectKey) throws IOException {
        this.dir = dataDir.resolve("bases");
        this.projectId = projectId;
        this.projectKey = projectKey.getBytes(StandardCharsets.UTF_8);
        PrivateFiles.tighten(PrivateFiles.folder(dir)); // the app's data: micros' user's only, not the micros' it runs as other users
        try {
            List<Path> logs = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) logs.add(f);
            }
            // first what a compaction or an import cut short left (the log it was to replace is intact): opening a base may compact it under the same name
            for (Path f : logs) if (f.getFileName().toString().endsWith(".log.compact") || f.getFileName().toString().contains(".log.import")) Files.deleteIfExists(f);
            for (Path f : logs) {
                String file = f.getFileName().toString();
                if (!file.endsWith(BaseNames.SUFFIX)) continue;
                String name = BaseNames.fromFileName(file);
                if (name == null) {
                    warnings.add("bases: ignored " + file + " (not a name micros writes)");
                    continue;
                }
                Base b = new Base(name, f, warnings, logFiles, compactions);
                b.compactIfWasteful();
                bases.put(name, b);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        purger = new Thread(this::purgeLoop, "micros-base-ttl");
        purger.setDaemon(true);
        purger.start();
    }

    /**
     * Where a failure that is no client's doing is told (one line; the client gets no host path),
     * and what was wrong with a bad query (its client reads only Deta's "Bad query").
     */
    public void notices(Consumer<String> notices) {
        this.notices = notices;
    }

    /** What opening found wrong (torn or corrupt log tails, foreign files); empty when all was intact. */
    public List<String> recoveryWarnings() {
        return List.copyOf(warnings);
    }

    // ---- HTTP ----

    @Override
    public void handle(Exchange ex) throws IOException {
        String path = ex.rawPath();
        String[] parts = path.split("/", 5); // "", "v1", project, base, rest
        if (parts.length < 5 || !parts[0].isEmpty() || !parts[1].equals("v1")) {
            error(ex, 404, "Not found");
            return;
        }
        String key = ex.header("X-API-Key");
        if (key == null || !MessageDigest.isEqual(key.getBytes(StandardCharsets.UTF_8), projectKey)
                || !projectId.equals(BaseNames.percentDecode(parts[2]))) {
            error(ex, 401, "Unauthorized");
            return;
        }
        String base = BaseNames.percentDecode(parts[3]);
        if (base == null) {
            error(ex, 400, "Base name is not valid percent-encoding");
            return;
        }
        serve(ex, base, "/" + parts[4]);
    }

    /**
     * Serves one Base request without checking key or project (the caller authenticated it, as
     * the gateway does for the owner's browser path). {@code rest} is "/items", "/items/KEY" (KEY
     * still percent-encoded, as in the request) or "/query".
     */
    public void serve(Exchange ex, String baseName, String rest) throws IOException {
        try {
            BaseNames.check(baseName);
            String m = ex.method();
            if (rest.equals("/items")) {
                switch (m) {
                    case "PUT" -> put(ex, baseName);
                    case "POST" -> insert(ex, baseName);
                    default -> error(ex, 405, "Method not allowed");
                }
            } else if (rest.startsWith("/items/")) {
                String key = BaseNames.percentDecode(rest.substring(7));
                if (key == null || key.isEmpty()) throw BaseError.bad("Key is empty or not valid percent-encoding");
                switch (m) {
                    case "GET" -> get(ex, baseName, key);
                    case "DELETE" -> delete(ex, baseName, key);
                    case "PATCH" -> update(ex, baseName, key);
                    default -> error(ex, 405, "Method not allowed");
                }
            } else if (rest.equals("/query")) {
                if (m.equals("POST")) query(ex, baseName);
                else error(ex, 405, "Method not allowed");
            } else error(ex, 404, "Not found");
        } catch (BaseError e) {
            error(ex, e.status, e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            notices.accept("data: base " + Json.quote(baseName) + ": storage failed: " + e.getMessage());
            error(ex, 500, "Storage failed");
        } catch (RuntimeException e) {
            notices.accept("data: base " + Json.quote(baseName) + ": " + ex.method() + " failed: " + e);
            error(ex, 500, "Internal error");
        }
    }

    private void put(Exchange ex, String name) throws IOException {
        Object body = body(ex);
        if (!(body instanceof Map<?, ?> m) || !(m.get("items") instanceof List<?> raw)) throw BaseError.bad("Request body must hold 'items', a list of items");
        if (raw.isEmpty()) throw BaseError.bad("No items to put");
        if (raw.size() > Items.MAX_PUT_ITEMS) throw BaseError.bad("Number of items in the request exceeds 25");
        List<Map<String, Object>> items = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (Object o : raw) {
            Map<String, Object> item = Items.prepare(o);
            if (!keys.add((String) item.get("key"))) throw BaseError.bad("Duplicate key '" + item.get("key") + "' in the request");
            items.add(item);
        }
        try {
            create(name).write((b, r) -> r.put.addAll(items));
        } catch (IOException | UncheckedIOException e) {
            // Deta's 207 names the items its storage failed to write; a put is one record, so that is all of them
            notices.accept("data: base " + Json.quote(name) + ": storage failed: " + e.getMessage());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("processed", Map.of("items", List.of()));
            out.put("failed", Map.of("items", items));
            send(ex, 207, out);
            return;
        }
        send(ex, 207, Map.of("processed", Map.of("items", items)));
    }

    private void insert(Exchange ex, String name) throws IOException {
        Object body = body(ex);
        if (!(body instanceof Map<?, ?> m) || !(m.get("item") instanceof Map<?, ?> raw)) throw BaseError.bad("Request body must hold 'item', an object");
        Map<String, Object> item = Items.prepare(raw);
        create(name).write((b, r) -> {
            if (b.current((String) item.get("key")) != null) throw new BaseError(409, "Key already exists");
            r.put.add(item);
        });
        send(ex, 201, item);
    }

    private void get(Exchange ex, String name, String key) throws IOException {
        Base b = bases.get(name);
        Map<String, Object> item = b == null ? null : b.get(key);
        if (item == null) send(ex, 404, Map.of("key", key));
        else send(ex, 200, item);
    }

    private void delete(Exchange ex, String name, String key) throws IOException {
        Base b = bases.get(name);
        if (b != null) b.write((base, r) -> {
            if (base.holds(key)) r.del.add(key);
        });
        send(ex, 200, Map.of("key", key));
    }

    @SuppressWarnings("unchecked")
    private void update(Exchange ex, String name, String key) throws IOException {
        Object body = body(ex);
        Updates u = Updates.parse(body);
        Base b = bases.get(name);
        if (b == null) throw new BaseError(404, "Key not found");
        b.write((base, r) -> {
            Map<String, Object> cur = base.current(key);
            if (cur == null) throw new BaseError(404, "Key not found");
            Map<String, Object> next = u.applyTo(cur);
            Items.check(next, false); // the update's own numbers were checked; stored ones stay as they are
            r.put.add(next);
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("key", key);
        ((Map<String, Object>) body).forEach(out::putIfAbsent);
        send(ex, 200, out);
    }

    private void query(Exchange ex, String name) throws IOException {
        Object body = ex.hasBody() ? body(ex) : Map.of();
        if (!(body instanceof Map<?, ?> m)) throw BaseError.bad("Request body must be an object");
        Query q;
        try {
            q = Query.parse(m.get("query"));
        } catch (BaseError e) {
            // Deta answered every query it could not run with these two words; what was wrong goes to the log
            notices.accept("data: base " + Json.quote(name) + ": " + Json.quote(clip(e.getMessage())));
            throw BaseError.bad("Bad query");
        }
        int limit = Integer.MAX_VALUE;
        Object l = m.get("limit");
        if (l != null) {
            if (!(l instanceof Long n)) throw BaseError.bad("'limit' must be an integer");
            if (n < 1) throw BaseError.bad("'limit' must be at least 1");
            limit = (int) Math.min(n, Integer.MAX_VALUE);
        }
        Object last = m.get("last");
        if (last != null && !(last instanceof String)) throw BaseError.bad("'last' must be a string");
        Object sort = m.get("sort");
        if (sort != null && !sort.equals("") && !sort.equals("asc") && !sort.equals("desc")) throw BaseError.bad("'sort' must be 'asc' or 'desc'");
        Base b = bases.get(name);
        // one match more than asked tells whether another page follows: "last" only when one does
        // (or when the 1 MB a page may look at ran out first, as on Deta)
        int ask = limit == Integer.MAX_VALUE ? limit : limit + 1;
        Base.Page page = b == null ? new Base.Page(List.of(), null)
                : b.query(q, ask, "".equals(last) ? null : (String) last, "desc".equals(sort), Base.PAGE_SCAN_BYTES);
        List<Map<String, Object>> items = page.items();
        String next = page.last();
        if (items.size() > limit) {
            items = items.subList(0, limit);
            next = (String) items.get(limit - 1).get("key");
        }
        Map<String, Object> paging = new LinkedHashMap<>();
        paging.put("size", (long) items.size());
        if (next != null) paging.put("last", next);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("paging", paging);
        out.put("items", items);
        send(ex, 200, out);
    }

    /** A client's text in a log line: at most 200 characters of it. */
    private static String clip(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static Object body(Exchange ex) throws IOException {
        if (ex.contentLength() > MAX_BODY) throw BaseError.bad("Request body exceeds 16 MB");
        byte[] b;
        try (InputStream in = ex.body()) {
            b = in.readNBytes(MAX_BODY + 1);
        }
        if (b.length > MAX_BODY) throw BaseError.bad("Request body exceeds 16 MB");
        return JsonText.parse(b);
    }

    private static void send(Exchange ex, int status, Object body) throws IOException {
        ex.send(status, "application/json", JsonText.bytes(body));
    }

    private static void error(Exchange ex, int status, String message) throws IOException {
        if (ex.started()) {
            ex.cut();
            return;
        }
        send(ex, status, Map.of("errors", List.of(message)));
    }

    // ---- for the CLI, the dashboard and export ----

    Base create(String name) {
        BaseNames.check(name);
        return bases.computeIfAbsent(name, n -> {
            try {
                return new Base(n, dir.resolve(BaseNames.fileName(n)), warnings, logFiles, compactions);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Every base name, sorted. */
    public List<String> names() {
        return new ArrayList<>(new TreeSet<>(bases.keySet()));
    }

    /** Items that have not expired. */
    public long count(String base) {
        Base b = bases.get(base);
        return b == null ? 0 : b.count();
    }

    /** All live items of a base in key order, read into memory (for a look at a small base: tests; an export streams them with {@link #eachItem}). */
    public List<Object> items(String base) {
        List<Object> out = new ArrayList<>();
        try {
            eachItem(base, (b, from, length) -> out.add(JsonBytes.item(b, from, length)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Gets each live item's JSON text, in key order, one at a time (the bytes are valid during the call). */
    public void eachItem(String base, ItemSink sink) throws IOException {
        Base b = bases.get(base);
        if (b != null) b.eachItem(sink);
    }

    public interface ItemSink {
        void accept(byte[] b, int from, int length) throws IOException;
    }

    /**
     * Starts an import into a base: the items are checked and staged as they come, and stored by
     * {@link BaseImport#commit} in one durable, atomic step; IllegalArgumentException (naming the
     * base) for a name Base refuses. Nothing is created until the commit.
     */
    public BaseImport stage(String base) throws IOException {
        try {
            BaseNames.check(base);
        } catch (BaseError e) {
            throw new IllegalArgumentException("base '" + base + "': " + e.getMessage());
        }
        return new BaseImport(this, base, dir.resolve(BaseNames.fileName(base) + ".import" + imports.incrementAndGet()));
    }

    /**
     * Stores exported items (objects with a string "key"; one without gets a generated key) in one
     * durable, atomic step; {@code replace} empties the base first, otherwise an imported item
     * overwrites one with its key. IllegalArgumentException (naming the base) on a bad item, changing nothing.
     */
    public void importItems(String base, List<Object> items, boolean replace) throws IOException {
        try (BaseImport imp = stage(base)) {
            for (Object o : items) {
                try {
                    imp.add(o);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("base '" + base + "': " + e.getMessage());
                }
            }
            imp.commit(replace);
        }
    }

    /** Up to {@code limit} items matching a query written in Deta's query language (blank: all). */
    public List<Object> query(String base, String queryJson, int limit) {
        Query q;
        try {
            q = queryJson == null || queryJson.isBlank() ? Query.ALL : Query.parse(JsonText.parse(queryJson.getBytes(StandardCharsets.UTF_8)));
        } catch (BaseError e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        List<Object> out = new ArrayList<>();
        Base b = bases.get(base);
        if (b == null) return out;
        try {
            out.addAll(b.query(q, limit, null, false, Long.MAX_VALUE).items());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Deletes expired items for good (they are already invisible). */
    void purgeExpired() throws IOException {
        for (Base b : bases.values()) {
            List<String> keys = b.expiredKeys();
            if (keys.isEmpty()) continue;
            b.write((base, r) -> {
                for (String k : keys) if (base.holds(k) && base.current(k) == null) r.del.add(k);
            });
        }
    }

    private void purgeLoop() {
        while (true) {
            try {
                Thread.sleep(PURGE_EVERY_MS);
                purgeExpired();
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // the next round tries again; expired items stay invisible meanwhile
            }
        }
    }

    Base base(String name) {
        return bases.get(name);
    }

    public void close() {
        if (purger != null) purger.interrupt();
        compactions.shutdown(); // not interrupted (that would close the log's shared file): a running compaction stops when its base closes
        for (Base b : bases.values()) {
            try {
                b.close();
            } catch (IOException e) {
                // closing after every write was forced: nothing is lost
            }
        }
        bases.clear();
    }

}
