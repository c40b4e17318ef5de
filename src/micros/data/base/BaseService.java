package micros.data.base;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import micros.http.Exchange;
import micros.http.Handler;

/**
 * STAND-IN for the Deta Base service built on branch issue-17: the same signatures, every request
 * answered 501. Replaced by the real class when the branches are merged.
 */
public final class BaseService implements Handler {
    private static final byte[] NOT_HERE = "{\"errors\":[\"Deta Base is not in this branch\"]}".getBytes(StandardCharsets.UTF_8);

    public BaseService(Path dataDir, String projectId, String projectKey) throws IOException {
        // storage would live under dataDir/bases/
    }

    @Override
    public void handle(Exchange ex) throws IOException {
        ex.send(501, "application/json", NOT_HERE);
    }

    public void serve(Exchange ex, String baseName, String rest) throws IOException {
        ex.send(501, "application/json", NOT_HERE);
    }

    public List<String> recoveryWarnings() {
        return List.of();
    }

    public List<String> names() {
        return List.of();
    }

    public long count(String base) {
        return 0;
    }

    public List<Object> items(String base) {
        return List.of();
    }

    public void importItems(String base, List<Object> items, boolean replace) throws IOException {
        throw new IOException("Deta Base is not in this branch");
    }

    public List<Object> query(String base, String queryJson, int limit) {
        return List.of();
    }

    public void close() {
    }
}
