package micros.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;

import micros.http.Exchange;

/**
 * Serves a static micro's folder: Content-Type by extension, index.html for folders, ETag and
 * Last-Modified with 304s, HEAD. Never a byte from outside the folder: "..", encoded slashes and
 * backslashes, NUL bytes and symlinks that lead out all get 404.
 */
final class StaticFiles {
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;
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

    private StaticFiles() {}

    /**
     * @param folder the folder served (must exist)
     * @param path   the normalised path inside the micro ("/" for its root)
     * @param prefix the micro's URL prefix, for redirects ("" for the primary)
     */
    static void serve(Exchange ex, Path folder, String path, String prefix) throws IOException {
        String method = ex.method();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            ex.addHeader("Allow", "GET, HEAD");
            Responses.text(ex, 405, "a static micro answers GET and HEAD only\n");
            return;
        }
        Path file = resolve(folder, path);
        if (file == null) {
            Responses.text(ex, 404, "not found\n");
            return;
        }
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        if (attrs.isDirectory()) {
            if (!path.endsWith("/")) { // relative links in index.html need the slash
                String query = ex.rawQuery();
                ex.addHeader("Location", prefix + path + "/" + (query == null ? "" : "?" + query));
                Responses.text(ex, 301, "moved to " + prefix + path + "/\n");
                return;
            }
            file = resolve(folder, path + "index.html");
            if (file == null || !Files.isRegularFile(file)) {
                Responses.text(ex, 404, "not found\n");
                return;
            }
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        }
        if (!attrs.isRegularFile()) {
            Responses.text(ex, 404, "not found\n");
            return;
        }
        Instant modified = attrs.lastModifiedTime().toInstant();
        String etag = "\"" + Long.toHexString(attrs.size()) + "-" + Long.toHexString(modified.toEpochMilli()) + "\"";
        ex.addHeader("Content-Type", contentType(file));
        ex.addHeader("Last-Modified", HTTP_DATE.format(ZonedDateTime.ofInstant(modified, ZoneOffset.UTC)));
        ex.addHeader("ETag", etag);
        ex.addHeader("Cache-Control", "no-cache");
        if (notModified(ex, etag, modified)) {
            ex.sendHead(304, -2);
            ex.end();
            return;
        }
        long size = attrs.size();
        if (method.equals("HEAD")) {
            ex.addHeader("Content-Length", Long.toString(size));
            ex.sendHead(200, -2);
            ex.end();
            return;
        }
        ex.sendHead(200, size);
        try (InputStream in = Files.newInputStream(file)) {
            OutputStream out = ex.responseBody();
            in.transferTo(out);
            ex.end();
        }
    }

    /** The file a normalised path names inside the folder, or null when it is not inside or does not exist. */
    static Path resolve(Path folder, String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00") || path.contains("\\")) return null;
        String decoded;
        try {
            decoded = decode(path);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (decoded.indexOf('\0') >= 0 || decoded.contains("\\")) return null;
        Path candidate = folder;
        for (String segment : decoded.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) continue;
            if (segment.equals("..")) return null;
            candidate = candidate.resolve(segment);
        }
        try {
            Path real = candidate.toRealPath();
            Path root = folder.toRealPath();
            return real.startsWith(root) ? real : null;
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return null;
        }
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

    private static String contentType(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }
}
