package micros.data.base;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Base names to file names and back. Anything but ASCII letters, digits, '_' and '-' is written
 * as %XX of its UTF-8 bytes, so "..", "/" or odd bytes in a name can never leave the bases folder.
 */
final class BaseNames {
    private BaseNames() {}

    static final String SUFFIX = ".log";
    static final int MAX_NAME_BYTES = 100;

    /** Throws a BaseError when Deta could not have held such a name. */
    static String check(String name) {
        if (name == null || name.isEmpty()) throw BaseError.bad("Base name is empty");
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) throw BaseError.bad("Base name is longer than " + MAX_NAME_BYTES + " bytes");
        return name;
    }

    static String fileName(String name) {
        StringBuilder sb = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') sb.append((char) c);
            else sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return sb.append(SUFFIX).toString();
    }

    /** The base name of a log file name, or null when the file is not one of ours. */
    static String fromFileName(String file) {
        if (!file.endsWith(SUFFIX)) return null;
        String enc = file.substring(0, file.length() - SUFFIX.length());
        String dec = percentDecode(enc);
        return dec == null || dec.isEmpty() || !fileName(dec).equals(file) ? null : dec;
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
