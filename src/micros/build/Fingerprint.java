package micros.build;

/**
 * A 128-bit digest that tells whether a build's inputs changed: two 64-bit multiply-xor lanes
 * with different constants. Not for secrets (its stamp is readable by micros' user alone); it
 * spares the start-up path MessageDigest, whose first use costs tens of milliseconds.
 */
final class Fingerprint {
    private long a = 0xcbf29ce484222325L, b = 0x6a09e667f3bcc909L;

    Fingerprint add(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            a = (a ^ c) * 0x100000001b3L;                       // FNV-1a's prime
            b = Long.rotateLeft(b ^ c, 23) * 0x9e3779b97f4a7c15L; // the golden ratio's, odd
        }
        a = (a ^ '\n') * 0x100000001b3L; // a line's end, so ("ab","c") and ("a","bc") differ
        b = Long.rotateLeft(b ^ '\n', 23) * 0x9e3779b97f4a7c15L;
        return this;
    }

    String hex() {
        return hex(a) + hex(b);
    }

    private static String hex(long v) { // not String.format: its first use costs milliseconds at start-up
        String h = Long.toHexString(v);
        return "0".repeat(16 - h.length()) + h;
    }
}
