package micros.gateway;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;

import micros.http.Exchange;
import micros.spacefile.SpaceIgnore;

/**
 * Serves a static micro's folder: Content-Type by extension, index.html for folders, ETag and
 * Last-Modified with 304s, HEAD. Never a byte from outside the folder: "..", encoded slashes and
 * backslashes, NUL bytes and symlinks that lead out all get 404. The file is opened once, one
 * component at a time from an open folder without following links (openat with O_NOFOLLOW), so
 * swapping a file for a symlink between a check and the read cannot leak anything; a symlink is
 * followed only by walking its target the same way, from the served folder. The served folder
 * itself is found the same way for every request, from the project folder: a folder rebuilt
 * since start is served, one swapped for a symlink out of the project is not. What Space would
 * not have packaged is not served either (404, as if absent): the state folder (.micros), the
 * default ignore list and the micro's .spaceignore (.git/, .env, ...).
 */
final class StaticFiles {
    private static final int MAX_LINKS = 8;
    private static final String STATE = ".micros";
    private static final Set<java.nio.file.OpenOption> READ_NOFOLLOW = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"), Map.entry("json", "application/json"),
            Map.entry("map", "application/json"), Map.entry("webmanifest", "application/manifest+json"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
            Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("xml", "application/xml"),
            Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"),
            Map.entry("avif", "image/avif"), Map.entry("ico", "image/x-icon"), Map.entry("bmp", "image/bmp"),
            Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"), Map.entry("ttf", "font/ttf"),
            Map.entry("otf", "font/otf"), Map.entry("eot", "application/vnd.ms-fontobject"),
            Map.entry("mp4", "video/mp4"), Map.entry("webm", "video/webm"), Map.entry("mp3", "audio/mpeg"),
            Map.entry("ogg", "audio/ogg"), Map.entry("wav", "audio/wav"), Map.entry("pdf", "application/pdf"),
            Map.entry("zip", "application/zip"), Map.entry("wasm", "application/wasm"), Map.entry("gz", "application/gzip"));

    private final Path folder;
    private final Path project, projectReal; // where each request's walk to the served folder starts: as named, and real
    private final List<String> under; // the served folder's path below the project, as the Spacefile names it
    private final Object stateKey; // the state folder's file key (device and inode): never served, wherever it is moved
    private final SpaceIgnore ignore;
    private final String base; // the folder relative to the micro's src ("" or "dist/"), as ignore rules see paths; null when outside
    private final String state; // the state folder relative to the served folder, when it is inside (MICROS_STATE_DIR)
    private final java.util.concurrent.ConcurrentHashMap<String, Boolean> ignored = new java.util.concurrent.ConcurrentHashMap<>(); // the rules' answers: regexes once per path
    private static final int IGNORE_CACHE = 4096;
    private final java.util.concurrent.atomic.AtomicReference<Served> served = new java.util.concurrent.atomic.AtomicReference<>();

    /** The served folder as a walk from the project last found it, held open, and its file key. */
    private record Served(SecureDirectoryStream<Path> dir, Object key) {}

    private StaticFiles(Path folder, Path project, List<String> under, Object stateKey, SpaceIgnore ignore, String base, String state) {
        this.folder = folder;
        this.project = project;
        this.projectReal = real(project);
        this.under = List.copyOf(under);
        this.stateKey = stateKey;
        this.ignore = ignore;
        this.base = base;
        this.state = state;
    }

    /**
     * @param folder the folder served
     * @param src    the micro's src folder (its .spaceignore applies, to paths relative to it)
     * @param state  the run's state folder, never served
     * @param project the project folder, which the served folder must stay in (as validate checks at start)
     */
    static StaticFiles of(Path folder, Path src, Path state, Path project) {
        folder = folder.toAbsolutePath().normalize();
        project = project.toAbsolutePath().normalize();
        SpaceIgnore ignore;
        try {
            ignore = SpaceIgnore.forSource(src);
        } catch (IOException e) { // an unreadable .spaceignore: the default list still applies
            ignore = SpaceIgnore.defaults();
        }
        Path realFolder = real(folder), realSrc = real(src.toAbsolutePath().normalize()), realState = real(state.toAbsolutePath().normalize());
        String base = null;
        if (realFolder.startsWith(realSrc)) {
            String rel = slashes(realSrc.relativize(realFolder));
            base = rel.isEmpty() ? "" : rel + "/";
            // a folder the rules leave out of the upload (dist, build) was built on Space: its files are
            // build output, matched against the rules relative to the folder itself
            if (!rel.isEmpty() && builtOnSpace(ignore, rel)) base = null;
        }
        String inside = realState.startsWith(realFolder) && !realState.equals(realFolder) ? slashes(realFolder.relativize(realState)) : null;
        List<String> under = new ArrayList<>();
        if (folder.startsWith(project)) {
            for (Path part : project.relativize(folder)) if (!part.toString().isEmpty()) under.add(part.toString());
        } else {
            project = folder; // outside the project (validate refuses such a Spacefile): found by its path, as named
        }
        Object stateKey;
        try {
            stateKey = Files.readAttributes(realState, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            stateKey = null;
        }
        return new StaticFiles(folder, project, under, stateKey, ignore, base, inside);
    }

    private static boolean builtOnSpace(SpaceIgnore ignore, String rel) {
        if (ignore.ignored(rel + "/index.html", false)) return true; // "dist/**"
        for (int i = rel.indexOf('/'); ; i = rel.indexOf('/', i + 1)) {
            if (ignore.ignored(i < 0 ? rel : rel.substring(0, i), true)) return true;
            if (i < 0) return false;
        }
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }

    private static String slashes(Path rel) {
        return rel.toString().replace('\\', '/');
    }

    /**
     * @param path   the normalised path inside the micro ("/" for its root)
     * @param prefix the micro's URL prefix, for redirects ("" for the primary)
     */
    void serve(Exchange ex, String path, String prefix) throws IOException {
        String method = ex.method();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            ex.addHeader("Allow", "GET, HEAD");
            Responses.text(ex, 405, "a static micro answers GET and HEAD only\n");
            return;
        }
        List<String> segments = segments(path);
        Opened file = segments == null ? null : open(segments);
        if (file != null && file.channel == null) { // a folder
            if (!path.endsWith("/")) { // relative links in index.html need the slash
                String query = ex.rawQuery();
                ex.addHeader("Location", prefix + path + "/" + (query == null ? "" : "?" + query));
                Responses.text(ex, 301, "moved to " + prefix + path + "/\n");
                return;
            }
            List<String> index = new ArrayList<>(segments);
            index.add("index.html");
            file = open(index);
            if (file != null && file.channel == null) file = null;
        }
        if (file == null) {
            Responses.text(ex, 404, "not found\n");
            return;
        }
        try (SeekableByteChannel in = file.channel) {
            send(ex, in, file);
        }
    }

    private static void send(Exchange ex, SeekableByteChannel in, Opened file) throws IOException {
        long size = in.size(); // of the file opened, whatever the name points to by now
        Instant modified = file.attrs.lastModifiedTime().toInstant();
        String etag = "\"" + Long.toHexString(size) + "-" + Long.toHexString(modified.toEpochMilli()) + "\"";
        ex.addHeader("Content-Type", contentType(file.name));
        ex.addHeader("Last-Modified", Exchange.httpDate(modified));
        ex.addHeader("ETag", etag);
        ex.addHeader("Cache-Control", "no-cache");
        if (notModified(ex, etag, modified)) {
            ex.sendHead(304, -2);
            ex.end();
            return;
        }
        ex.sendFixed(200, in, size);
    }

    /** A regular file opened for reading (channel) or a folder (no channel), with the name it was found under. */
    private record Opened(SeekableByteChannel channel, BasicFileAttributes attrs, String name) {}

    /** The decoded segments of a normalised path, or null when it holds something never served (escaped slashes, NUL, bad UTF-8). */
    private static List<String> segments(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00") || path.contains("\\")) return null;
        String decoded;
        try {
            decoded = decode(path);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (decoded.indexOf('\0') >= 0 || decoded.contains("\\")) return null;
        List<String> out = new ArrayList<>();
        for (String segment : decoded.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) continue;
            if (segment.equals("..")) return null;
            out.add(segment);
        }
        return out;
    }

    /**
     * Walks the segments from the served folder, each opened relative to the last without following
     * links; a symlink's target is put in its place and the walk starts again from the folder.
     * Returns null for anything absent, hidden, or reached only by leaving the folder.
     */
    private Opened open(List<String> segments) throws IOException {
        for (int tries = 1; ; tries++) {
            try {
                return openOnce(segments);
            } catch (java.nio.file.ClosedDirectoryStreamException e) { // the served folder was found anew meanwhile: walk again
                if (tries == 3) return null;
            }
        }
    }

    private Opened openOnce(List<String> segments) throws IOException {
        Deque<String> todo = new ArrayDeque<>(segments);
        List<String> at = new ArrayList<>(); // where the walk is: real folders below the served one
        int links = 0;
        Served top = current(); // held open across requests: never closed here
        if (top == null) return null;
        SecureDirectoryStream<Path> dir = top.dir;
        try {
            while (!todo.isEmpty()) {
                String name = todo.removeFirst();
                Path p = Path.of(name);
                BasicFileAttributes a;
                try {
                    a = dir.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
                } catch (IOException | java.nio.file.InvalidPathException e) {
                    return null;
                }
                if (hidden(at, name, a.isDirectory()) || a.isDirectory() && isState(a.fileKey())) return null;
                if (a.isSymbolicLink()) {
                    if (++links > MAX_LINKS) return null;
                    List<String> target = follow(real(folder), folder, at, name);
                    if (target == null) return null;
                    for (int i = target.size() - 1; i >= 0; i--) todo.addFirst(target.get(i));
                    if (dir != top.dir) dir.close();
                    dir = null;
                    top = current();
                    if (top == null) return null;
                    dir = top.dir;
                    at.clear();
                    continue;
                }
                if (todo.isEmpty() && a.isRegularFile()) {
                    try {
                        return new Opened(dir.newByteChannel(p, READ_NOFOLLOW), a, name);
                    } catch (IOException e) { // swapped for a symlink (ELOOP) or removed since
                        return null;
                    }
                }
                if (!a.isDirectory()) return null;
                SecureDirectoryStream<Path> next;
                try {
                    next = dir.newDirectoryStream(p, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    return null;
                }
                if (dir != top.dir) dir.close();
                dir = next;
                at.add(name);
                if (todo.isEmpty()) return new Opened(null, a, name);
            }
            return new Opened(null, null, ""); // the served folder itself
        } finally {
            if (dir != null && dir != top.dir) dir.close();
        }
    }

    /**
     * The held folder while its path still leads to it (one stat per request); else the folder
     * the path leads to now, found by {@link #walk}. Whatever is served comes from a folder a walk
     * found: the stat only says when to walk again (a rebuilt dist, a re-pointed link, a swap).
     */
    private Served current() throws IOException {
        Object now;
        try {
            now = Files.readAttributes(folder, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            now = null;
        }
        Served s = served.get();
        if (s != null && now != null && now.equals(s.key)) return s;
        SecureDirectoryStream<Path> dir = walk();
        Served fresh = dir == null ? null : new Served(dir, dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey());
        if (served.compareAndSet(s, fresh)) {
            if (s != null) s.dir.close(); // a request still in it finishes first (its lock), later ones take the new one
            return fresh;
        }
        if (fresh != null) fresh.dir.close();
        return served.get(); // another request found it first
    }

    /**
     * The served folder, opened from the project folder one component at a time without
     * following links. A symlink on the way is followed only by walking its target the same way
     * from the project folder, so it may lead to another folder of the project (a {@code dist}
     * link to the latest build) but never out of it; the state folder is never it.
     */
    private SecureDirectoryStream<Path> walk() throws IOException {
        Deque<String> todo = new ArrayDeque<>(under);
        List<String> at = new ArrayList<>();
        int links = 0;
        SecureDirectoryStream<Path> dir = openDir(project);
        if (dir == null) return null;
        try {
            while (!todo.isEmpty()) {
                String name = todo.removeFirst();
                if (name.equals(STATE)) return null;
                SecureDirectoryStream<Path> next;
                try {
                    next = dir.newDirectoryStream(Path.of(name), LinkOption.NOFOLLOW_LINKS);
                } catch (IOException | java.nio.file.InvalidPathException e) { // a symlink (ELOOP), not a folder, or gone
                    List<String> target = ++links > MAX_LINKS ? null : follow(projectReal, project, at, name);
                    if (target == null) return null;
                    for (int i = target.size() - 1; i >= 0; i--) todo.addFirst(target.get(i));
                    dir.close();
                    dir = openDir(project);
                    if (dir == null) return null;
                    at.clear();
                    continue;
                }
                dir.close();
                dir = next;
                at.add(name);
            }
            if (stateKey != null && isState(dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey())) return null;
            SecureDirectoryStream<Path> found = dir;
            dir = null;
            return found;
        } finally {
            if (dir != null) dir.close();
        }
    }

    private boolean isState(Object fileKey) {
        return stateKey != null && stateKey.equals(fileKey);
    }

    private static SecureDirectoryStream<Path> openDir(Path p) throws IOException {
        DirectoryStream<Path> d;
        try {
            d = Files.newDirectoryStream(p);
        } catch (IOException e) {
            return null;
        }
        if (d instanceof SecureDirectoryStream<Path> s) return s;
        d.close();
        throw new IOException("this system cannot open files relative to a folder (no openat): static files are not served");
    }

    /** Not served: the state folder, and what Space's ignore rules left out of the package. */
    private boolean hidden(List<String> at, String name, boolean dir) {
        if (name.equals(STATE)) return true;
        String rel = at.isEmpty() ? name : String.join("/", at) + "/" + name;
        if (rel.equals(state)) return true; // the walk passes through it to reach anything inside
        String key = dir ? rel + "/" : rel;
        Boolean known = ignored.get(key);
        if (known != null) return known;
        boolean result = ignore.ignored(base == null ? rel : base + rel, dir);
        if (ignored.size() >= IGNORE_CACHE) ignored.clear(); // bounded: a crawler's random paths cannot grow it
        ignored.put(key, result);
        return result;
    }

    /**
     * The path a symlink at {@code at/name} below a folder ({@code real} and as {@code named})
     * points to, as segments below that folder, or null when it leads out (or is not a link).
     * Reading the link is not atomic with the walk, but whatever it says is walked again from the
     * folder without following links, so it can never reach outside.
     */
    private static List<String> follow(Path real, Path named, List<String> at, String name) {
        Path target;
        try {
            Path link = real;
            for (String s : at) link = link.resolve(s);
            target = Files.readSymbolicLink(link.resolve(name));
        } catch (IOException | UnsupportedOperationException | java.nio.file.InvalidPathException e) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (target.isAbsolute()) {
            Path t = target.normalize();
            Path inside = t.startsWith(real) ? real.relativize(t) : t.startsWith(named) ? named.relativize(t) : null;
            if (inside == null) return null;
            target = inside;
        } else {
            out.addAll(at);
        }
        for (Path part : target) {
            String s = part.toString();
            if (s.isEmpty() || s.equals(".")) continue;
            if (s.equals("..")) {
                if (out.isEmpty()) return null;
                out.remove(out.size() - 1);
            } else {
                out.add(s);
            }
        }
        return out;
    }

    /** Strict percent-decoding as UTF-8; malformed escapes or byte sequences are refused. */
    private static String decode(String s) {
        if (s.indexOf('%') < 0) return s;
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) throw new IllegalArgumentException();
                int hi = Character.digit(s.charAt(i + 1), 16), lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) throw new IllegalArgumentException();
                out[n++] = (byte) (hi * 16 + lo);
                i += 2;
            } else {
                out[n++] = (byte) c;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(out, 0, n)).toString();
        } catch (java.nio.charset.CharacterCodingException e) { // overlong or invalid UTF-8
            throw new IllegalArgumentException(e);
        }
    }

    private static boolean notModified(Exchange ex, String etag, Instant modified) {
        String inm = ex.header("If-None-Match");
        if (inm != null) {
            for (String t : inm.split(",")) {
                String v = t.strip();
                if (v.startsWith("W/")) v = v.substring(2);
                if (v.equals(etag) || v.equals("*")) return true;
            }
            return false;
        }
        String ims = ex.header("If-Modified-Since");
        if (ims == null) return false;
        try {
            Instant since = ZonedDateTime.parse(ims, DateTimeFormatter.RFC_1123_DATE_TIME) // one- and two-digit days; named here, not in a field: the formatters' class loads ~70 more, not wanted at start-up
                    .toInstant();
            return !modified.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).isAfter(since);
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static String contentType(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }
}
