package micros.http;

import java.io.IOException;

/**
 * Takes a request body out of the bytes a connection has read, de-chunking it (RFC 9112 §7.1)
 * into a {@link RequestBody}. It only ever consumes what is already there, so a connection can
 * give its thread back between slowly arriving pieces and resume later where it stopped.
 */
final class BodyReader {
    private enum State { FIXED, SIZE, SIZE_WS, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER, DONE }

    private State state;
    private long left;        // FIXED: bytes still to come; DATA: bytes left in this chunk
    private int digits;       // SIZE: hex digits seen
    private int lineLength;   // EXTENSION and TRAILER: bytes on the current line
    private int trailerBytes;
    private long limit;       // 0 = none
    private int status;       // set when the body is refused: 400 or 413
    private String why;

    /** Starts a body: a fixed length, or chunked when {@code length} is -1. */
    void start(long length, boolean chunked, long limit) {
        this.limit = limit;
        status = 0;
        why = null;
        digits = lineLength = trailerBytes = 0;
        if (chunked) startSize();
        else {
            state = length > 0 ? State.FIXED : State.DONE;
            left = length;
        }
    }

    boolean done() {
        return state == State.DONE;
    }

    /** 0 while fine; else the status the request gets. */
    int status() {
        return status;
    }

    String why() {
        return why;
    }

    /**
     * Consumes in[from..to) as far as the body goes; returns the index of the first byte it did not
     * take (the next request's, or nothing). Stops early on an error ({@link #status}).
     */
    int consume(byte[] in, int from, int to, RequestBody body) throws IOException {
        int p = from;
        while (p < to && state != State.DONE && status == 0) {
            switch (state) {
                case FIXED, DATA -> {
                    int k = (int) Math.min(left, to - p);
                    if (limit > 0 && body.length() + k > limit) return refuse(413, "the request body is over the payload limit", p);
                    body.append(in, p, k);
                    p += k;
                    left -= k;
                    if (left == 0) state = state == State.FIXED ? State.DONE : State.DATA_CR;
                }
                case SIZE -> {
                    int c = in[p] & 0xff;
                    int d = Character.digit(c, 16);
                    if (d >= 0 && c < 0x80) {
                        if (++digits > 15) return refuse(400, "a chunk size is too long", p);
                        left = left * 16 + d;
                        p++;
                    } else if (digits == 0) {
                        return refuse(400, "malformed chunk size", p);
                    } else {
                        state = State.SIZE_WS;
                    }
                }
                case SIZE_WS -> { // after the digits: optional whitespace, then ';' (an extension) or the line's end
                    int c = in[p];
                    if (c == ' ' || c == '\t') {
                        if (++lineLength > 64) return refuse(400, "malformed chunk size", p);
                        p++;
                    } else if (c == ';') {
                        state = State.EXTENSION;
                        lineLength = 0;
                    } else if (c == '\r') {
                        state = State.SIZE_LF;
                        p++;
                    } else if (c == '\n') {
                        p++;
                        if (!endOfSizeLine(body)) return refuse(413, "the request body is over the payload limit", p);
                    } else {
                        return refuse(400, "malformed chunk size", p);
                    }
                }
                case EXTENSION -> { // chunk extensions are ignored (RFC 9112 §7.1.1)
                    int c = in[p++];
                    if (c == '\n') {
                        if (!endOfSizeLine(body)) return refuse(413, "the request body is over the payload limit", p);
                    } else if (++lineLength > 4096) return refuse(400, "a chunk extension is too long", p);
                }
                case SIZE_LF -> {
                    if (in[p++] != '\n') return refuse(400, "malformed chunk size line", p);
                    if (!endOfSizeLine(body)) return refuse(413, "the request body is over the payload limit", p);
                }
                case DATA_CR -> {
                    if (in[p] == '\n') { // a bare LF is tolerated, as for header lines
                        p++;
                        startSize();
                    } else if (in[p++] == '\r') state = State.DATA_LF;
                    else return refuse(400, "a chunk is longer than its size says", p);
                }
                case DATA_LF -> {
                    if (in[p++] != '\n') return refuse(400, "a chunk is longer than its size says", p);
                    startSize();
                }
                case TRAILER -> { // trailer fields are dropped: the micro gets a Content-Length instead
                    int c = in[p++];
                    if (++trailerBytes > Connection.MAX_HEAD) return refuse(431, "the trailer section is over 64 KiB", p);
                    if (c == '\n') {
                        if (lineLength == 0) state = State.DONE;
                        lineLength = 0;
                    } else if (c != '\r') {
                        lineLength++;
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        return p;
    }

    /** A chunk's size is known; false when it would take the body past the limit. */
    private boolean endOfSizeLine(RequestBody body) {
        if (limit > 0 && body.length() + left > limit) return false;
        if (left == 0) {
            state = State.TRAILER;
            lineLength = 0;
        } else {
            state = State.DATA;
        }
        return true;
    }

    private void startSize() {
        state = State.SIZE;
        digits = lineLength = 0;
        left = 0;
    }

    private int refuse(int status, String why, int p) {
        this.status = status;
        this.why = why;
        return p;
    }
}
