package micros.data.base;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import micros.support.Http;
import micros.util.Json;

/** Raw HTTP calls to a Base server in tests, with the parsed JSON answer. */
record BaseClient(int port, String projectId, String key) {
    record Answer(int status, Object json, String text) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map() {
            return (Map<String, Object>) json;
        }

        @SuppressWarnings("unchecked")
        List<Object> items() {
            return (List<Object>) map().get("items");
        }

        @SuppressWarnings("unchecked")
        List<String> errors() {
            return (List<String>) map().get("errors");
        }
    }

    Answer call(String method, String base, String rest, String body) throws Exception {
        return raw(method, "/v1/" + projectId + "/" + base + rest, key, body);
    }

    Answer raw(String method, String target, String apiKey, String body) throws Exception {
        byte[] b = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + (apiKey == null ? "" : "X-API-Key: " + apiKey + "\r\n")
                + (b == null ? "" : "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n") + "\r\n";
        Http.Response r = Http.send(port, head, b);
        String text = r.text();
        Object json = text.isEmpty() ? null : Json.parse(text);
        return new Answer(r.status(), json, text);
    }
}
