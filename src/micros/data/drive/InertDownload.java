package micros.data.drive;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import micros.http.Exchange;

/**
 * The headers of a Drive file sent to a browser. A stored file must never become a page of the
 * origin it is downloaded from: on the app's host the owner's cookie opens every Base and Drive
 * and the dashboard, so a stored {@code x.html} opened there could read them all. So it is never
 * sniffed ({@code nosniff}), runs sandboxed ({@code Content-Security-Policy: sandbox}: no script,
 * an opaque origin), and is an attachment (saved, not shown) unless it is a raster image, audio,
 * video or plain text, which a browser shows without running anything. Scripts still read it
 * with fetch (the SDKs' {@code get}), and {@code <img>} and {@code <video>} still show it.
 */
public final class InertDownload {
    private InertDownload() {}

    /** Content-Type, nosniff, the sandbox and, unless shown inline, Content-Disposition: attachment. */
    public static void headers(Exchange ex, String name, String type, boolean alwaysAttachment) {
        ex.addHeader("Content-Type", type);
        ex.addHeader("X-Content-Type-Options", "nosniff");
        ex.addHeader("Content-Security-Policy", "sandbox");
        if (alwaysAttachment || !shownInline(type)) ex.addHeader("Content-Disposition", "attachment; filename*=UTF-8''" + encode(name.substring(name.lastIndexOf('/') + 1)));
    }

    /** Types a browser displays without running anything in them: not HTML, SVG, XML or PDF. */
    static boolean shownInline(String type) {
        int semi = type.indexOf(';');
        String t = (semi < 0 ? type : type.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/x-icon", "image/vnd.microsoft.icon", "text/plain" -> true;
            default -> t.startsWith("audio/") || t.startsWith("video/");
        };
    }

    /** RFC 8187's attr-char: what URLEncoder leaves plain, less '*'. */
    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A");
    }
}
