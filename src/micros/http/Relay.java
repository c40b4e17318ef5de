package micros.http;

import java.nio.channels.SocketChannel;

/**
 * A request forwarded on the server's event loop, without a thread: the common case of a proxy
 * (a request without a body, to a micro that is awake, answered with a small whole response).
 * The loop sends the request, waits for the answer beside every other connection, and writes
 * it out. Whatever is not that simple (a large or streamed answer, an error, a timeout) is
 * handed to a worker thread, which finishes it in {@link Handler#handle} with this relay as the
 * exchange's attachment. Made by {@link Handler#relay}; everything here runs on the loop thread.
 */
public interface Relay {
    /** What the loop does next. */
    int WAIT = 0, DONE = 1, HANDOFF = 2;

    /** The channel to the micro: connected, non-blocking. */
    SocketChannel channel();

    /** Sends the request: WAIT for the answer, or HANDOFF when it could not leave whole at once. */
    int start();

    /**
     * The micro's channel has bytes (or its end): WAIT for more, DONE when the whole response is
     * in the exchange's output, or HANDOFF.
     */
    int readable();

    /** Whether the request's execution time is up (a worker then answers 504). */
    boolean expired();
}
