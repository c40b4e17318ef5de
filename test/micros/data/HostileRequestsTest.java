package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Http;
import micros.util.Json;

/**
 * The data server under hostile requests (security review, issue 24, findings 8 and 12): deep
 * JSON, huge numbers, odd JSON, wrong types for every update action, deep paths, long names.
 * Every request gets a 2xx or 4xx in Deta's shape, none names the data folder, none kills a
 * thread, and the server logs nothing but what was wrong with a bad query (nothing went wrong
 * on its side).
 */
class HostileRequestsTest {
    @TempDir
    Path dir;
    Path dataDir;
    final List<String> notices = new CopyOnWriteArrayList<>();
    DataServer data;
    static final String KEY = "a0hostile_k3y";
    static final String PID = "a0hostile";

    @BeforeEach
    void start() {
        dataDir = dir.resolve("data");
        data = DataServer.start(dataDir, KEY, null, "localhost", DataServer.Listen.LOOPBACK, notices::add);
    }

    @AfterEach
    void stop() {
        if (data != null) data.close();
    }

    private void restart() {
        data.close();
        data = DataServer.start(dataDir, KEY, null, "localhost", DataServer.Listen.LOOPBACK, notices::add);
    }

    private int port() {
        String hp = data.hostPort();
        return Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
    }

    private Http.Response send(String method, String target, byte[] body) throws IOException {
        String head = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + KEY + "\r\nConnection: close\r\n"
                + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n") + "\r\n";
        return Http.send(port(), head, body);
    }

    /** A request that must be answered 2xx/4xx, in Deta's error shape when refused, naming no host path. */
    private Http.Response fine(String method, String target, String body) throws IOException {
        return fine(method, target, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private Http.Response fine(String method, String target, byte[] body) throws IOException {
        String what = method + " " + (target.length() > 120 ? target.substring(0, 120) + "..." : target)
                + (body == null ? "" : " " + new String(body, 0, Math.min(body.length, 120), StandardCharsets.UTF_8));
        Http.Response r;
        try {
            r = send(method, target, body);
        } catch (IOException e) {
            throw new AssertionError(what + ": no answer (" + e.getMessage() + ")", e);
        }
        String text = r.text(), shown = r.status() + " " + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
        assertTrue(r.status() >= 200 && r.status() < 500, what + ": " + shown);
        assertFalse(text.contains(dir.toString()) || text.contains("Exception") || text.contains("Error:"), what + ": " + shown);
        if (r.status() >= 400 && r.status() != 413) {
            Map<?, ?> answer = (Map<?, ?>) Json.parse(text);
            boolean missingItem = r.status() == 404 && answer.get("key") instanceof String; // Deta's 404 for GET /items/KEY
            assertTrue(missingItem || answer.get("errors") instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof String, what + ": " + shown);
        }
        return r;
    }

    private Http.Response bad(String method, String target, String body) throws IOException {
        Http.Response r = fine(method, target, body);
        assertEquals(400, r.status(), method + " " + target + " " + (body == null ? "" : body.substring(0, Math.min(200, body.length()))) + ": " + r.text());
        return r;
    }

    private static String nest(int levels, String inner) {
        return "[".repeat(levels) + inner + "]".repeat(levels);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static final String B = "/v1/" + PID + "/";

    @Test
    void deepJsonIsRefusedWithAnAnswer() throws Exception {
        for (int levels : new int[] {1_000, 100_000}) {
            String deep = nest(levels, "1");
            bad("PUT", B + "deep/items", "{\"items\":[{\"key\":\"d\",\"v\":" + deep + "}]}");
            bad("POST", B + "deep/items", "{\"item\":{\"key\":\"d\",\"v\":" + deep + "}}");
            bad("POST", B + "deep/query", "{\"query\":[{\"v\":" + deep + "}]}");
            bad("PATCH", B + "deep/items/d", "{\"set\":{\"v\":" + deep + "}}");
            bad("DELETE", B + "deep/files", "{\"names\":" + deep + "}");
        }
        // an item may nest 100 levels (the item itself is the first): stored and read back as sent
        String hundred = "{\"key\":\"h\",\"v\":" + nest(99, "") + "}";
        assertEquals(207, fine("PUT", B + "deep/items", "{\"items\":[" + hundred + "]}").status());
        assertEquals(Json.parse(hundred), Json.parse(fine("GET", B + "deep/items/h", (String) null).text()));
        assertTrue(bad("PUT", B + "deep/items", "{\"items\":[{\"key\":\"h\",\"v\":" + nest(100, "") + "}]}").text().contains("100 levels"));
        // nor can updates grow an item past it, one PATCH at a time
        assertEquals(207, fine("PUT", B + "deep/items", "{\"items\":[{\"key\":\"g\",\"o\":{}}]}").status());
        assertEquals(200, fine("PATCH", B + "deep/items/g", "{\"set\":{\"o.x\":" + nest(98, "") + "}}").status());
        bad("PATCH", B + "deep/items/g", "{\"set\":{\"o.y\":" + nest(99, "") + "}}");
        bad("PATCH", B + "deep/items/g", "{\"append\":{\"o.x\":[" + nest(98, "") + "]}}");
        restart(); // what was stored reads back after a restart
        assertEquals(200, fine("GET", B + "deep/items/g", (String) null).status());
        assertEquals(200, fine("GET", B + "deep/items/h", (String) null).status());
        assertEquals(List.of(), notices);
    }

    @Test
    void hugeNumbersAndWrongTypesInEveryUpdateAction() throws Exception {
        assertEquals(207, fine("PUT", B + "n/items", "{\"items\":[{\"key\":\"k\",\"n\":9999999999999999,\"s\":\"x\",\"l\":[1],\"o\":{\"a\":1}}]}").status());
        for (String by : List.of("9223372036854775807", "-9223372036854775808", "99999999999999999999999", "1e400", "-1e400", "1e308", "1",
                "\"5\"", "[1]", "{\"a\":1}", "true")) {
            bad("PATCH", B + "n/items/k", "{\"increment\":{\"n\":" + by + "}}");
        }
        bad("PATCH", B + "n/items/k", "{\"increment\":{\"n\":null}}");
        bad("PATCH", B + "n/items/k", "{\"increment\":{\"s\":1}}");
        bad("PATCH", B + "n/items/k", "{\"increment\":{\"o\":1}}");
        assertEquals(200, fine("PATCH", B + "n/items/k", "{\"increment\":{\"n\":-1}}").status());
        for (String action : List.of("set", "increment", "append", "prepend")) {
            for (String v : List.of("5", "\"x\"", "[1]", "true", "1e999")) bad("PATCH", B + "n/items/k", "{\"" + action + "\":" + v + "}");
        }
        for (String action : List.of("append", "prepend")) {
            for (String v : List.of("5", "\"x\"", "{}", "null", "true")) bad("PATCH", B + "n/items/k", "{\"" + action + "\":{\"l\":" + v + "}}");
            bad("PATCH", B + "n/items/k", "{\"" + action + "\":{\"s\":[1]}}");
        }
        for (String v : List.of("5", "\"x\"", "{\"a\":1}", "[1]", "[null]", "[[\"a\"]]", "true")) bad("PATCH", B + "n/items/k", "{\"delete\":" + v + "}");
        for (String body : List.of("[]", "5", "\"x\"", "null", "true", "{\"set\":{\"\":1}}", "{\"set\":{\".\":1}}", "{\"set\":{\"key\":1}}",
                "{\"set\":{\"a.\":1}}", "{\"set\":{\"n\":1e999}}", "{\"set\":{\"n\":-99999999999999999}}", "{\"set\":{\"x\":1},\"delete\":[\"x\"]}")) {
            int s = fine("PATCH", B + "n/items/k", body).status();
            assertTrue(s == 200 || s == 400, body + ": " + s);
        }
        // deep dotted paths: a million parts cost no more than the item is deep
        String path = "a.".repeat(500_000) + "a";
        bad("PATCH", B + "n/items/k", "{\"set\":{\"" + path + "\":1}}");
        bad("PATCH", B + "n/items/k", "{\"increment\":{\"" + path + "\":1}}");
        bad("PATCH", B + "n/items/k", "{\"append\":{\"" + path + "\":[1]}}");
        assertEquals(200, fine("PATCH", B + "n/items/k", "{\"delete\":[\"" + path + "\"]}").status());
        assertEquals(200, fine("POST", B + "n/query", "{\"query\":[{\"" + path + "\":1},{\"" + path + "?gt\":1}]}").status());
        // big numbers in items: Deta's 16 digits
        for (String n : List.of("9223372036854775807", "1e400", "-1e17", "123456789012345678901234567890", "1" + "0".repeat(100_000)))
            bad("PUT", B + "n/items", "{\"items\":[{\"key\":\"big\",\"v\":" + n + "}]}");
        Map<?, ?> item = (Map<?, ?>) Json.parse(fine("GET", B + "n/items/k", (String) null).text());
        assertEquals(9999999999999998L, item.get("n"), "only the one good increment changed the item");
        assertEquals(List.of(), notices);
    }

    @Test
    void oddJsonAndOddQueries() throws Exception {
        List<String> odd = List.of("", " ", "{", "}", "[", "]", "{\"items\":", "nul", "NaN", "Infinity", "-", "+", "1e999999", "\"\\u12\"",
                "\"\\uZZZZ\"", "{\"a\" 1}", "[1 2]", "{,}", "[,]", "{\"items\":[{\"key\":\"a\"}],}", "{\"items\":[{\"key\":\"a\"}]} x", "null", "5",
                "\"str\"", "[]", "{}", "{\"items\":[]}", "{\"items\":{}}", "{\"items\":[null]}", "{\"items\":[[]]}", "{\"items\":[{\"key\":null}]}",
                "{\"items\":[{\"key\":\"\"}]}", "{\"items\":[{\"key\":{}}]}", "{\"items\":[{\"key\":\"a\",\"__expires\":\"soon\"}]}",
                "{\"item\":5}", "{\"item\":{\"key\":5}}", "{a:1}", "{'a':1}", "0x10", "01", "-0", "1e-400", "\"\\ud800\"", "{\"\\u0000\":1}");
        for (String body : odd) {
            for (String[] call : new String[][] {{"PUT", "odd/items"}, {"POST", "odd/items"}, {"PATCH", "odd/items/k"}, {"POST", "odd/query"}}) {
                fine(call[0], B + call[1], body);
            }
            fine("DELETE", B + "odd/files", body);
        }
        byte[] notUtf8 = {'{', '"', 'i', 't', 'e', 'm', '"', ':', '{', '"', 'k', 'e', 'y', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}', '}'};
        fine("POST", B + "odd/items", notUtf8);
        assertEquals(207, fine("PUT", B + "q/items", "{\"items\":[{\"key\":\"a\"},{\"key\":\"m1\"},{\"key\":\"m2\"},{\"key\":\"z\"}]}").status());
        for (String q : List.of("{\"query\":5}", "{\"query\":[5]}", "{\"query\":\"x\"}", "{\"query\":[{\"a?zz\":1}]}", "{\"query\":[{\"?\":1}]}",
                "{\"query\":[{\"key?r\":[1]}]}", "{\"query\":[{\"key?r\":[\"b\",\"a\"]}]}", "{\"query\":[{\"key?contains\":\"a\"}]}",
                "{\"query\":[{\"key\":\"a\"},{\"key\":\"b\"}]}", "{\"query\":[{\"key\":5}]}", "{\"query\":[{\"a?pfx\":5}]}", "{\"limit\":-1}",
                "{\"limit\":0}", "{\"limit\":1e3}", "{\"limit\":99999999999999999999}", "{\"limit\":\"5\"}", "{\"last\":5}", "{\"sort\":5}",
                "{\"sort\":\"up\"}", "{\"query\":[{\"key?pfx\":\"m\"}],\"last\":\"a\"}", "{\"query\":[{\"key?pfx\":\"m\"}],\"last\":\"zz\"}",
                "{\"query\":[{\"key?pfx\":\"m\"}],\"last\":\"a\",\"sort\":\"desc\"}", "{\"query\":[{\"key?pfx\":\"m\"}],\"last\":\"zz\",\"sort\":\"desc\"}",
                "{\"query\":[{\"key?gt\":\"m\"}],\"last\":\"a\"}", "{\"query\":[{\"key?lt\":\"m\"}],\"last\":\"z\"}", "{\"query\":[{\"key?r\":[\"m\",\"n\"]}],\"last\":\"\"}")) {
            fine("POST", B + "q/query", q);
        }
        // a 'last' outside a key range: all of the range before it, none after it
        assertEquals(2L, ((Map<?, ?>) ((Map<?, ?>) Json.parse(fine("POST", B + "q/query", "{\"query\":[{\"key?pfx\":\"m\"}],\"last\":\"a\"}").text()))
                .get("paging")).get("size"));
        assertEquals(0L, ((Map<?, ?>) ((Map<?, ?>) Json.parse(fine("POST", B + "q/query", "{\"query\":[{\"key?pfx\":\"m\"}],\"last\":\"zz\"}").text()))
                .get("paging")).get("size"));
        // names and keys
        bad("PUT", B + "x".repeat(101) + "/items", "{\"items\":[{\"key\":\"k\"}]}");
        bad("PUT", B + "%ZZ/items", "{\"items\":[{\"key\":\"k\"}]}");
        bad("GET", B + "q/items/%ZZ", null);
        fine("GET", B + "q/items/", (String) null);
        assertEquals(404, fine("GET", B + "q/items/" + "k".repeat(20_000), (String) null).status());
        fine("PUT", B + "%C3/items", "{\"items\":[{\"key\":\"k\"}]}");
        fine("PUT", B + "q/query", "{}");
        fine("GET", "/v1/" + PID + "/q", (String) null);
        fine("GET", "/v1/" + PID + "/q/unknown", (String) null);
        assertFalse(notices.isEmpty());
        for (String line : notices) // the bad queries' details alone, each one line naming no path
            assertTrue(line.startsWith("data: base \"") && line.contains("\"Bad query: ") && !line.contains("\n") && !line.contains(dir.toString()), line);
    }

    @Test
    void longNamesFitOnDiskAndKeepTheirData() throws Exception {
        String base = "é".repeat(50); // 100 bytes, 300 characters as %XX
        assertEquals(207, fine("PUT", B + enc(base) + "/items", "{\"items\":[{\"key\":\"k\",\"v\":1}]}").status());
        assertEquals(200, fine("GET", B + enc(base) + "/items/k", (String) null).status());
        String other = "é".repeat(49) + "e"; // a sibling name: its own base
        assertEquals(207, fine("PUT", B + enc(other) + "/items", "{\"items\":[{\"key\":\"k\",\"v\":2}]}").status());
        String file = "dir/ünï/".repeat(100) + "x.txt"; // 1,005 bytes, 2,005 characters as %XX
        String file2 = "dir/ünï/".repeat(100) + "y.txt";
        String drive = "é".repeat(127); // 254 bytes
        for (String f : List.of(file, file2))
            assertEquals(201, fine("POST", B + enc(drive) + "/files?name=" + enc(f), f.getBytes(StandardCharsets.UTF_8)).status());
        Http.Response init = fine("POST", B + enc(drive) + "/uploads?name=" + enc(file + "2"), (String) null);
        assertEquals(202, init.status());
        String id = (String) ((Map<?, ?>) Json.parse(init.text())).get("upload_id");
        assertEquals(200, fine("POST", B + enc(drive) + "/uploads/" + id + "/parts?part=1&name=" + enc(file + "2"), "chunked".getBytes(StandardCharsets.UTF_8)).status());
        assertEquals(200, fine("PATCH", B + enc(drive) + "/uploads/" + id + "?name=" + enc(file + "2"), (String) null).status());
        // past the limits: 400, not a storage failure
        bad("POST", B + enc(drive) + "/files?name=" + enc("x".repeat(1025)), "x");
        bad("POST", B + enc(drive + "xx") + "/files?name=a", "x");
        bad("PUT", B + enc(base + "x") + "/items", "{\"items\":[{\"key\":\"k\"}]}");
        restart(); // the names come back from the disk
        assertEquals(1L, ((Map<?, ?>) Json.parse(fine("GET", B + enc(base) + "/items/k", (String) null).text())).get("v"));
        assertEquals(2L, ((Map<?, ?>) Json.parse(fine("GET", B + enc(other) + "/items/k", (String) null).text())).get("v"));
        assertEquals(List.of(file, file + "2", file2), ((Map<?, ?>) Json.parse(fine("GET", B + enc(drive) + "/files", (String) null).text())).get("names"));
        assertEquals(file, fine("GET", B + enc(drive) + "/files/download?name=" + enc(file), (String) null).text());
        assertEquals("chunked", fine("GET", B + enc(drive) + "/files/download?name=" + enc(file + "2"), (String) null).text());
        assertTrue(data.base().names().containsAll(List.of(base, other)), data.base().names().toString());
        assertEquals(List.of(drive), data.drive().store().drives());
        assertEquals(200, fine("DELETE", B + enc(drive) + "/files", "{\"names\":[" + Json.quote(file) + "]}").status());
        assertEquals(List.of(file + "2", file2), ((Map<?, ?>) Json.parse(fine("GET", B + enc(drive) + "/files", (String) null).text())).get("names"));
        try (Stream<Path> all = Files.walk(dataDir)) {
            for (Path p : all.toList()) assertTrue(p.getFileName().toString().getBytes(StandardCharsets.UTF_8).length <= 255, p.toString());
        }
        assertEquals(List.of(), notices);
    }

    @Test
    void aStorageFailureNamesNoPathAndIsLoggedOnce() throws Exception {
        Files.createDirectories(dataDir.resolve("bases/broken.log")); // a log that cannot be opened
        Http.Response r = send("PUT", B + "broken/items", "{\"items\":[{\"key\":\"k\"}]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(207, r.status(), r.text()); // Deta's answer to items its storage failed: listed under "failed"
        assertEquals(Json.parse("{\"processed\":{\"items\":[]},\"failed\":{\"items\":[{\"key\":\"k\"}]}}"), Json.parse(r.text()));
        Http.Response u = send("PATCH", B + "broken/items/k", "{\"set\":{\"a\":1}}".getBytes(StandardCharsets.UTF_8));
        assertEquals(404, u.status(), u.text()); // nothing was stored to update
        Files.createDirectories(dataDir.resolve("drives/broken"));
        Files.writeString(dataDir.resolve("drives/broken/files"), "not a folder");
        Http.Response d = send("POST", B + "broken/files?name=a.txt", "x".getBytes(StandardCharsets.UTF_8));
        assertEquals(500, d.status(), d.text());
        assertEquals(Map.of("errors", List.of("Storage failed")), Json.parse(d.text()));
        List<String> said = new ArrayList<>(notices);
        assertEquals(2, said.size(), said.toString());
        assertTrue(said.get(0).contains("base \"broken\"") && said.get(0).contains("broken.log"), said.get(0));
        assertTrue(said.get(1).contains("drive \"broken\""), said.get(1));
        for (String line : said) assertFalse(line.contains("\n") || line.contains("\tat "), "one line, no stack trace: " + line);
    }
}
