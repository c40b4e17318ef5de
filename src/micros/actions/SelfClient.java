package micros.actions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import micros.spacefile.App.Action;
import micros.spacefile.App.Micro;
import micros.util.Json;

/**
 * Requests micros makes to its own gateway as the owner: action calls (so they wake the micro
 * and obey the execution timeout like any request) and the app-actions listing.
 */
public final class SelfClient implements Scheduler.Firing {
    private volatile HttpClient client; // made on first use: building one costs ~100 ms of start-up
    private final String base;
    private final String ownerToken;
    private final Duration timeout;

    public SelfClient(String base, String ownerToken, Duration executionTimeout) {
        this.base = base;
        this.ownerToken = ownerToken;
        this.timeout = executionTimeout.plusSeconds(10);
    }

    /** The body Space sent for a scheduled action. */
    public static String event(String id) {
        return "{\"event\":{\"id\":" + Json.quote(id) + ",\"trigger\":\"schedule\"}}";
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null)
                    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
                c = client;
            }
        }
        return c;
    }

    @Override
    public Scheduler.Result fire(Action action, Micro micro) {
        String path = action.path() != null ? action.path() : "/__space/v0/actions";
        return send("POST", micro.prefix() + (path.startsWith("/") ? path : "/" + path), event(action.id()), "application/json");
    }

    public Scheduler.Result send(String method, String path, String body, String contentType) {
        long t0 = System.nanoTime();
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                    .header("Cookie", "space_token=" + ownerToken);
            if (contentType != null) b.header("Content-Type", contentType);
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = client().send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Scheduler.Result(r.statusCode(), r.body(), (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            return new Scheduler.Result(0, "the request failed: " + e.getMessage(), (System.nanoTime() - t0) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Scheduler.Result(0, "interrupted", (System.nanoTime() - t0) / 1_000_000);
        }
    }
}
