package micros.runtime;

/**
 * Cleans a micro's output line before it reaches the terminal or a log: escape sequences
 * that retitle (OSC), clear or move (CSI other than colour), other control characters and
 * bidirectional controls (which reorder what a reader sees) are dropped; colour (SGR,
 * {@code ESC [ ... m}) is kept only when wanted (a terminal).
 */
final class Controls {
    private static final char ESC = 0x1b, BEL = 0x07;

    private Controls() {}

    static String clean(String s, boolean keepColour) {
        int n = s.length();
        int i = 0;
        while (i < n && !control(s.charAt(i))) i++;
        if (i == n) return s; // the usual line: nothing to do
        StringBuilder out = new StringBuilder(n).append(s, 0, i);
        while (i < n) {
            char c = s.charAt(i);
            if (c == ESC || c == 0x9b) {
                i = sequence(s, i, out, keepColour);
                continue;
            }
            if (!control(c)) out.append(c);
            i++;
        }
        return out.toString();
    }

    /** C0 but tab, DEL, C1, the line and paragraph separators, and the bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9). */
    private static boolean control(char c) {
        if (c < 0x20) return c != '\t';
        if (c < 0x7f) return false;
        if (c <= 0x9f) return true;
        if (c < 0x61c) return false;
        return c == '\u061c' || c == '\u200e' || c == '\u200f' || (c >= '\u2028' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }

    /**
     * The text without invisible format characters (Unicode's Cf: zero-width spaces and joiners,
     * soft hyphens, tags): a secret with one inside reads as the secret, so it is matched without them.
     */
    static String invisibleDropped(String s) {
        int n = s.length(), i = 0;
        while (i < n && !format(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
        if (i == n) return s;
        StringBuilder out = new StringBuilder(n).append(s, 0, i);
        while (i < n) {
            int cp = s.codePointAt(i);
            if (!format(cp)) out.appendCodePoint(cp);
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    private static boolean format(int cp) {
        return cp >= 0xad && Character.getType(cp) == Character.FORMAT;
    }

    /** Skips one escape sequence starting at {@code i} (appending it if it is a kept SGR); returns the index after it. */
    private static int sequence(String s, int i, StringBuilder out, boolean keepColour) {
        int n = s.length();
        int start = i;
        boolean csi;
        if (s.charAt(i) == 0x9b) {
            csi = true;
            i++;
        } else {
            if (i + 1 >= n) return n;
            char k = s.charAt(i + 1);
            if (k == '[') {
                csi = true;
                i += 2;
            } else if (k == ']' || k == 'P' || k == 'X' || k == '^' || k == '_') { // OSC, DCS, SOS, PM, APC: up to BEL or ST
                i += 2;
                while (i < n) {
                    char c = s.charAt(i);
                    if (c == BEL || c == 0x9c) return i + 1;
                    if (c == ESC && i + 1 < n && s.charAt(i + 1) == '\\') return i + 2;
                    i++;
                }
                return n;
            } else {
                return Math.min(n, i + 2); // ESC c, ESC 7 ...: two characters
            }
        }
        while (i < n && s.charAt(i) >= 0x20 && s.charAt(i) <= 0x3f) i++; // parameters and intermediates
        if (i >= n) return n;
        char fin = s.charAt(i);
        if (csi && fin == 'm' && keepColour && s.charAt(start) == ESC) out.append(s, start, i + 1);
        return i + 1;
    }
}
