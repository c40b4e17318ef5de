package micros.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import micros.http.Exchange;

/** The gateway's own short answers: plain text (or a small HTML page), always complete. */
final class Responses {
    private Responses() {}

    static void text(Exchange ex, int status, String body) throws IOException {
        send(ex, status, "text/plain; charset=utf-8", body);
    }

    static void html(Exchange ex, int status, String body) throws IOException {
        send(ex, status, "text/html; charset=utf-8", body);
    }

    static void send(Exchange ex, int status, String type, String body) throws IOException {
        ex.addHeader("Cache-Control", "no-store");
        ex.send(status, type, body.getBytes(StandardCharsets.UTF_8));
    }
}
