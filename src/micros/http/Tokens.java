package micros.http;

/** RFC 9110 §5.6.2 token characters, looked up by byte: request methods and header names, both ways. */
public final class Tokens {
    private static final boolean[] TCHAR = new boolean[256];
    static {
        for (int c = 0; c < 128; c++)
            TCHAR[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private Tokens() {
    }

    public static boolean isTchar(byte b) {
        return TCHAR[b & 0xff];
    }
}
