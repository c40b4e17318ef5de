package micros.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Answers requests. The server reads a request's whole body before {@link #handle} runs, and
 * asks {@link #admit} first, so a request that is refused anyway (401, 413 by its length, a
 * static file) is answered without reading or storing its body.
 */
public interface Handler {
    /**
     * Looks at the head before the body is read: answer here and return false to refuse the
     * request (its body is then never read and the connection closes), or return true to have the
     * body read and {@link #handle} called. Whatever it decided can be left in {@link Exchange#attach}.
     */
    default boolean admit(Exchange ex) throws IOException {
        return true;
    }

    /**
     * Asked on the event loop, before {@link #admit}, for a request without a body or with a small
     * one that came whole with its head ({@link Exchange#requestBody} holds it): a relay when
     * this is a plain forward the loop can drive itself, or null to have a worker thread admit and
     * handle it as usual. Must not block, and must decide exactly as {@link #admit} would.
     */
    default Relay relay(Exchange ex) {
        return null;
    }

    /**
     * Whether {@link #relay} ever returns a relay. A connection whose requests all go to worker
     * threads is better kept on its thread between requests than moved to the loop and back.
     */
    default boolean relays() {
        return false;
    }

    /** Answers a request whose body arrived whole (or that had none), or finishes a relay handed over. */
    void handle(Exchange ex) throws IOException;

    /**
     * The body could not be read: 400 (bad chunk framing), 408 (too slow), 413 (over the server's
     * limit) or 431 (trailers too large). The connection closes afterwards.
     */
    default void refuse(Exchange ex, int status, String why) throws IOException {
        ex.send(status, "text/plain; charset=utf-8", (why + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
