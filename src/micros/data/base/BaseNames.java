package micros.data.base;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Base names to file names and back. Anything but ASCII letters, digits, '_' and '-' is written
 * as %XX of its UTF-8 bytes, so "..", "/" or odd bytes in a name can never leave the bases folder.
 * A name whose %XX form would be too long for a file name (50 "é" are 100 bytes but 300
 * characters) is written as '~' and the base64url of its bytes instead: '~' never appears in the
 * %XX form, so the two never meet, and each name has exactly one file.
 */
final class BaseNames {
    private BaseNames() {}

    static final String SUFFIX = ".log";
    static final int MAX_NAME_BYTES = 100;
    /** Longest %XX form: the log's siblings ("<name>.log.damaged-<13 digits>") still fit in 255 bytes. */
    static final int MAX_PLAIN = 200;
    private static final char LONG = '~';

    /** Throws a BaseError when Deta could not have held such a name. */
    static String check(String name) {
        if (name == null || name.isEmpty()) throw BaseError.bad("Base name is empty");
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) throw BaseError.bad("Base name is longer than " + MAX_NAME_BYTES + " bytes");
        return name;
    }

    /** The log's file name: at most 204 characters (200 + ".log"; the '~' form of 100 bytes is 139). */
    static String fileName(String name) {
        String plain = plain(name);
        if (plain.length() <= MAX_PLAIN) return plain + SUFFIX;
        return LONG + Base64.getUrlEncoder().withoutPadding().encodeToString(name.getBytes(StandardCharsets.UTF_8)) + SUFFIX;
    }

    private static String plain(String name) {
        StringBuilder sb = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') sb.append((char) c);
            else sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return sb.toString();
    }

    /**
     * The base name of a log file name, or null when the file is not one of ours. A %XX form of
     * any length is read, so a log an older micros named that way keeps its base.
     */
    static String fromFileName(String file) {
        if (!file.endsWith(SUFFIX)) return null;
        String enc = file.substring(0, file.length() - SUFFIX.length());
        String dec;
        if (!enc.isEmpty() && enc.charAt(0) == LONG) {
            try {
                dec = new String(Base64.getUrlDecoder().decode(enc.substring(1)), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return null;
            }
            if (!fileName(dec).equals(file)) return null;
        } else {
            dec = percentDecode(enc);
            if (dec == null || !plain(dec).equals(enc)) return null;
        }
        return dec.isEmpty() ? null : dec;
    }

    /** Percent-decoding of a raw URL path segment ('+' stays '+') as UTF-8; null when malformed. */
    static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) return null;
                int hi = Character.digit(s.charAt(i + 1), 16), lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) return null;
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x100) {
                out.write(c); // the raw path holds the request's bytes as ISO-8859-1 chars
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
