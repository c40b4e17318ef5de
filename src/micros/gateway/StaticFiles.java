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
 * followed only by walking its target the same way, from the served folder. What Space would
 * not have packaged is not served either (404, as if absent): the state folder (.micros), the
 * default ignore list and the micro's .spaceignore (.git/, .env, ...).
 */
final class StaticFiles {
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME; // parses one- and two-digit days
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
    private final SpaceIgnore ignore;
    private final String base; // the folder relative to the micro's src ("" or "dist/"), as ignore rules see paths; null when outside
    private final String state; // the state folder relative to the served folder, when it is inside (MICROS_STATE_DIR)
    private final java.util.concurrent.ConcurrentHashMap<String, Boolean> ignored = new java.util.concurrent.ConcurrentHashMap<>(); // the rules' answers: regexes once per path
    private static final int IGNORE_CACHE = 4096;

    private StaticFiles(Path folder, SpaceIgnore ignore, String base, String state) {
        this.folder = folder;
        this.ignore = ignore;
        this.base = base;
        this.state = state;
    }

    /**
     * @param folder the folder served
     * @param src    the micro's src folder (its .spaceignore applies, to paths relative to it)
     * @param state  the run's state folder, never served
     */
    static StaticFiles of(Path folder, Path src, Path state) {
        folder = folder.toAbsolutePath().normalize();
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
        return new StaticFiles(folder, ignore, base, inside);
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
        Deque<String> todo = new ArrayDeque<>(segments);
        List<String> at = new ArrayList<>(); // where the walk is: real folders below the served one
        int links = 0;
        SecureDirectoryStream<Path> dir = root();
        if (dir == null) return null;
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
                if (hidden(at, name, a.isDirectory())) return null;
                if (a.isSymbolicLink()) {
                    if (++links > MAX_LINKS) return null;
                    List<String> target = follow(at, name);
                    if (target == null) return null;
                    for (int i = target.size() - 1; i >= 0; i--) todo.addFirst(target.get(i));
                    dir.close();
                    dir = root();
                    if (dir == null) return null;
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
                dir.close();
                dir = next;
                at.add(name);
                if (todo.isEmpty()) return new Opened(null, a, name);
            }
            return new Opened(null, null, ""); // the served folder itself
        } finally {
            dir.close();
        }
    }

    private SecureDirectoryStream<Path> root() throws IOException {
        DirectoryStream<Path> d;
        try {
            d = Files.newDirectoryStream(folder);
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
     * The path a symlink at {@code at/name} points to, as segments below the served folder, or null
     * when it leads out. Reading the link is not atomic with the walk, but whatever it says is
     * walked again from the folder without following links, so it can never reach outside.
     */
    private List<String> follow(List<String> at, String name) {
        Path target;
        Path realFolder = real(folder);
        try {
            Path link = realFolder;
            for (String s : at) link = link.resolve(s);
            target = Files.readSymbolicLink(link.resolve(name));
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (target.isAbsolute()) {
            Path t = target.normalize();
            Path inside = t.startsWith(realFolder) ? realFolder.relativize(t) : t.startsWith(folder) ? folder.relativize(t) : null;
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
            Instant since = ZonedDateTime.parse(ims, HTTP_DATE).toInstant();
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
