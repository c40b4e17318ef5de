package micros.http;

import java.io.IOException;

/** Answers one request. */
public interface Handler {
    void handle(Exchange ex) throws IOException;
}
