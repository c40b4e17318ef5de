package micros.data.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import micros.http.Server;
import micros.util.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Deta Base HTTP API v1 on a plain micros server, raw HTTP: every operation and its errors. */
@SuppressWarnings("unchecked")
class BaseApiTest {
    static Path dir;
    static BaseService service;
    static Server server;
    static BaseClient c;
    static final List<String> notices = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("micros-base-api");
        service = new BaseService(dir, "a0abcyxz", "a0abcyxz_secret");
        service.notices(notices::add);
        server = Server.start("127.0.0.1", 0, ex -> {
            // the owner's browser path, mapped the way the gateway maps it
            String p = ex.rawPath();
            if (p.startsWith("/__space/v0/base/")) {
                String rest = p.substring("/__space/v0/base/".length());
                int slash = rest.indexOf('/');
                service.serve(ex, rest.substring(0, slash), rest.substring(slash));
            } else service.handle(ex);
        }, Server.Settings.DEFAULT, (ex, e) -> e.printStackTrace());
        c = new BaseClient(server.port(), "a0abcyxz", "a0abcyxz_secret");
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
        service.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Test
    void putGetDelete() throws Exception {
        var put = c.call("PUT", "people", "/items", "{\"items\":[{\"key\":\"a/b ü\",\"name\":\"Beverly\",\"age\":22,\"score\":1.5},{\"name\":\"nokey\"}]}");
        assertEquals(207, put.status(), put.text());
        List<Object> stored = (List<Object>) ((Map<String, Object>) put.map().get("processed")).get("items");
        assertEquals(2, stored.size());
        String generated = (String) ((Map<String, Object>) stored.get(1)).get("key");
        assertTrue(generated.matches("[a-z0-9]{12}"), generated);

        var get = c.call("GET", "people", "/items/a%2Fb%20%C3%BC", null);
        assertEquals(200, get.status());
        assertEquals(Map.of("key", "a/b ü", "name", "Beverly", "age", 22L, "score", 1.5), get.map());
        assertTrue(get.text().contains("\"age\":22,") && get.text().contains("1.5"), "ints stay ints: " + get.text());
        assertEquals("nokey", c.call("GET", "people", "/items/" + generated, null).map().get("name"));
        c.call("PUT", "people", "/items", "{\"items\":[{\"key\":\"nums\",\"f\":1.0,\"g\":12345678.5,\"h\":-0.001,\"i\":1e-7,\"j\":3}]}");
        String nums = c.call("GET", "people", "/items/nums", null).text();
        assertEquals("{\"key\":\"nums\",\"f\":1.0,\"g\":12345678.5,\"h\":-0.001,\"i\":1.0E-7,\"j\":3}", nums); // floats stay floats
        c.call("DELETE", "people", "/items/nums", null);

        var missing = c.call("GET", "people", "/items/nobody", null);
        assertEquals(404, missing.status());
        assertEquals(Map.of("key", "nobody"), missing.map());
        assertEquals(404, c.call("GET", "nobase", "/items/x", null).status()); // a base nobody wrote to

        var del = c.call("DELETE", "people", "/items/a%2Fb%20%C3%BC", null);
        assertEquals(200, del.status());
        assertEquals(Map.of("key", "a/b ü"), del.map());
        assertEquals(404, c.call("GET", "people", "/items/a%2Fb%20%C3%BC", null).status());
        assertEquals(200, c.call("DELETE", "people", "/items/never-there", null).status()); // 200 regardless
    }

    @Test
    void putRefusesBadRequestsAndStoresNothing() throws Exception {
        StringBuilder many = new StringBuilder("{\"items\":[");
        for (int i = 0; i < 26; i++) many.append(i > 0 ? "," : "").append("{\"key\":\"m").append(i).append("\"}");
        assertBad(c.call("PUT", "limits", "/items", many + "]}"));
        assertBad(c.call("PUT", "limits", "/items", "{\"items\":[{\"key\":\"ok\"},{\"key\":5}]}"));              // non-string key
        assertBad(c.call("PUT", "limits", "/items", "{\"items\":[{\"key\":\"d\"},{\"key\":\"d\"}]}"));          // identical keys
        assertBad(c.call("PUT", "limits", "/items", "{\"items\":[{\"key\":\"n\",\"v\":12345678901234567}]}")); // 17 digits
        assertBad(c.call("PUT", "limits", "/items", "{\"items\":[{\"key\":\"n\",\"v\":{\"deep\":[1e17]}}]}"));
        assertBad(c.call("PUT", "limits", "/items", "{\"items\":[{\"key\":\"big\",\"v\":\"" + "x".repeat(400 * 1024) + "\"}]}"));
        assertBad(c.call("PUT", "limits", "/items", "{\"items\":[{\"key\":\"t\",\"__expires\":\"soon\"}]}"));
        assertBad(c.call("PUT", "limits", "/items", "{\"items\": [}"));
        assertBad(c.call("PUT", "limits", "/items", "{\"items\":[]}"));
        assertBad(c.call("PUT", "limits", "/items", "[[[[[[[[[[" + "[".repeat(100_000)));
        assertEquals(0, service.count("limits"));
        assertEquals(404, c.call("GET", "limits", "/items/ok", null).status());
        // exactly at the limits is fine
        assertEquals(207, c.call("PUT", "limits", "/items", "{\"items\":[{\"key\":\"n\",\"v\":9999999999999999,\"w\":-9999999999999999}]}").status());
        assertEquals(9999999999999999L, c.call("GET", "limits", "/items/n", null).map().get("v"));
    }

    @Test
    void insertIsRefusedWhenTheKeyExists() throws Exception {
        var first = c.call("POST", "ins", "/items", "{\"item\":{\"key\":\"k1\",\"v\":1}}");
        assertEquals(201, first.status());
        assertEquals(Map.of("key", "k1", "v", 1L), first.map());
        var again = c.call("POST", "ins", "/items", "{\"item\":{\"key\":\"k1\",\"v\":2}}");
        assertEquals(409, again.status());
        assertEquals(List.of("Key already exists"), again.errors());
        assertEquals(1L, c.call("GET", "ins", "/items/k1", null).map().get("v"));
        var generated = c.call("POST", "ins", "/items", "{\"item\":{\"v\":3}}");
        assertEquals(201, generated.status());
        assertEquals(12, ((String) generated.map().get("key")).length());
        assertBad(c.call("POST", "ins", "/items", "{\"item\":{\"key\":true}}"));
    }

    @Test
    void updateAsDocumented() throws Exception {
        c.call("PUT", "upd", "/items", """
                {"items":[{"key":"user-a","username":"jimmy","profile":{"age":32,"active":false,"hometown":"pittsburgh"},
                "on_mobile":true,"likes":["anime"],"purchases":1}]}""");
        var r = c.call("PATCH", "upd", "/items/user-a", """
                {"set":{"profile.age":33,"profile.active":true,"profile.email":"jimmy@deta.sh"},
                 "increment":{"purchases":2},"append":{"likes":["ramen"]},"prepend":{"tags":["new"]},
                 "delete":["profile.hometown","on_mobile"]}""");
        assertEquals(200, r.status(), r.text());
        assertEquals("user-a", r.map().get("key"));
        assertEquals(List.of("profile.hometown", "on_mobile"), r.map().get("delete"));
        assertEquals(Json.parse("""
                {"key":"user-a","username":"jimmy","profile":{"age":33,"active":true,"email":"jimmy@deta.sh"},
                 "likes":["anime","ramen"],"purchases":3,"tags":["new"]}"""), c.call("GET", "upd", "/items/user-a", null).json());

        c.call("PATCH", "upd", "/items/user-a", "{\"prepend\":{\"likes\":[\"sushi\"]},\"increment\":{\"purchases\":-0.5}}");
        var item = c.call("GET", "upd", "/items/user-a", null).map();
        assertEquals(List.of("sushi", "anime", "ramen"), item.get("likes"));
        assertEquals(2.5, item.get("purchases"));

        assertEquals(404, c.call("PATCH", "upd", "/items/nobody", "{\"set\":{\"a\":1}}").status());
        assertEquals(List.of("Key not found"), c.call("PATCH", "upd", "/items/nobody", "{\"set\":{\"a\":1}}").errors());
        assertBad(c.call("PATCH", "upd", "/items/user-a", "{\"set\":{\"key\":\"other\"}}"));            // updating the key
        assertBad(c.call("PATCH", "upd", "/items/user-a", "{\"delete\":[\"key\"]}"));
        assertBad(c.call("PATCH", "upd", "/items/user-a", "{\"set\":{\"a\":1},\"delete\":[\"a\"]}"));   // conflict
        assertBad(c.call("PATCH", "upd", "/items/user-a", "{\"set\":{\"user.age\":22}}"));             // no parent
        assertBad(c.call("PATCH", "upd", "/items/user-a", "{\"increment\":{\"username\":1}}"));        // not a number
        assertBad(c.call("PATCH", "upd", "/items/user-a", "{\"append\":{\"username\":[\"x\"]}}"));     // not a list
        assertEquals(item, c.call("GET", "upd", "/items/user-a", null).map()); // refused updates changed nothing
    }

    private static List<String> keys(BaseClient.Answer a) {
        assertEquals(200, a.status(), a.text());
        List<String> out = new ArrayList<>();
        for (Object o : a.items()) out.add((String) ((Map<?, ?>) o).get("key"));
        return out;
    }

    private static List<String> q(String query) throws Exception {
        return keys(c.call("POST", "q", "/query", "{\"query\":" + query + "}"));
    }

    @Test
    void everyQueryOperator() throws Exception {
        c.call("PUT", "q", "/items", """
                {"items":[
                 {"key":"u1","user":{"name":"Beverly","age":22,"email":"bev@deta.sh","places":["berlin","paris"],"time":{"day":"Tue","hour":"08:00"}},"active":true,"nums":[2,4,8]},
                 {"key":"u2","user":{"name":"Ann","age":30,"email":"ann@example.com","places":["rome"]},"active":false,"score":1.0},
                 {"key":"u3","user":{"name":"Bob","age":45,"email":"bob@deta.sh"},"active":true,"score":1},
                 {"key":"x1","other":"yes"}]}""");
        assertEquals(List.of("u1", "u2", "u3", "x1"), q("null"));
        assertEquals(List.of("u1"), q("{\"user.age\":22,\"user.name\":\"Beverly\"}"));
        assertEquals(List.of("u1"), q("{\"nums\":[2,4,8]}"));
        assertEquals(List.of("u1"), q("{\"user.time\":{\"hour\":\"08:00\",\"day\":\"Tue\"}}"));
        assertEquals(List.of("u2", "u3"), q("{\"score\":1}"));   // 1 and 1.0 are one number
        assertEquals(List.of("u2", "u3", "x1"), q("{\"user.age?ne\":22}"));
        assertEquals(List.of("u1"), q("{\"user.age?lt\":30}"));
        assertEquals(List.of("u1", "u2"), q("{\"user.age?lte\":30}"));
        assertEquals(List.of("u3"), q("{\"user.age?gt\":30}"));
        assertEquals(List.of("u2", "u3"), q("{\"user.age?gte\":30}"));
        assertEquals(List.of("u1", "u3"), q("{\"user.name?pfx\":\"B\"}"));
        assertEquals(List.of("u1", "u2"), q("{\"user.age?r\":[22,30]}"));
        assertEquals(List.of("u1", "u2"), q("{\"user.name?r\":[\"A\",\"Bf\"]}"));
        assertEquals(List.of("u1", "u3"), q("{\"user.email?contains\":\"@deta.sh\"}"));
        assertEquals(List.of("u1"), q("{\"user.places?contains\":\"berlin\"}"));
        assertEquals(List.of("u2", "x1"), q("{\"user.email?not_contains\":\"@deta.sh\"}"));
        assertEquals(List.of("u2", "u3", "x1"), q("{\"user.places?!contains\":\"berlin\"}"));
        assertEquals(List.of("u3"), q("{\"active\":true,\"user.age?gte\":30}"));           // AND
        assertEquals(List.of("u1", "u3"), q("[{\"user.age?lte\":22},{\"user.age?gte\":40}]")); // OR
        assertEquals(List.of("u1", "u2", "u3"), q("{\"key?pfx\":\"u\"}"));
        assertEquals(List.of("u2"), q("{\"key\":\"u2\"}"));
        assertEquals(List.of("u2", "u3"), q("{\"key?r\":[\"u2\",\"u9\"]}"));
        assertEquals(List.of(), q("{\"user.age?lt\":\"30\"}")); // a string is not compared with a number

        assertBad(c.call("POST", "q", "/query", "{\"query\":[{\"key?contains\":\"u\"}]}"));
        assertBad(c.call("POST", "q", "/query", "{\"query\":[{\"key\":\"a\",\"key?pfx\":\"b\"}]}"));
        assertBad(c.call("POST", "q", "/query", "{\"query\":[{\"key?pfx\":\"a\"},{\"key?pfx\":\"b\"}]}"));
        assertBad(c.call("POST", "q", "/query", "{\"query\":[{\"key\":1}]}"));
        assertBad(c.call("POST", "q", "/query", "{\"query\":[{\"age?between\":1}]}"));
        assertBad(c.call("POST", "q", "/query", "{\"query\":[{\"age?r\":[1]}]}"));
        assertBad(c.call("POST", "q", "/query", "{\"query\":[5]}"));
        assertBad(c.call("POST", "q", "/query", "{\"limit\":0}"));
        assertBad(c.call("POST", "q", "/query", "{\"sort\":\"sideways\"}"));
    }

    @Test
    void pagingWithLimitLastAndSort() throws Exception {
        StringBuilder sb = new StringBuilder("{\"items\":[");
        for (int i = 0; i < 25; i++) sb.append(i > 0 ? "," : "").append(String.format("{\"key\":\"k%02d\",\"even\":%b}", i, i % 2 == 0));
        c.call("PUT", "pages", "/items", sb + "]}");
        var first = c.call("POST", "pages", "/query", "{\"limit\":10,\"last\":null,\"sort\":\"\"}");
        assertEquals(Map.of("size", 10L, "last", "k09"), first.map().get("paging"));
        assertEquals("k00", ((Map<?, ?>) first.items().get(0)).get("key"));
        var second = c.call("POST", "pages", "/query", "{\"limit\":10,\"last\":\"k09\"}");
        assertEquals("k10", ((Map<?, ?>) second.items().get(0)).get("key"));
        var end = c.call("POST", "pages", "/query", "{\"limit\":10,\"last\":\"k19\"}");
        assertEquals(Map.of("size", 5L), end.map().get("paging")); // no "last": nothing more
        var desc = c.call("POST", "pages", "/query", "{\"limit\":3,\"sort\":\"desc\",\"query\":[{\"even\":true}]}");
        assertEquals(List.of("k24", "k22", "k20"), keys(desc));
        assertEquals("k20", ((Map<?, ?>) desc.map().get("paging")).get("last"));
        assertEquals(List.of("k18", "k16"), keys(c.call("POST", "pages", "/query", "{\"limit\":2,\"sort\":\"desc\",\"last\":\"k20\",\"query\":[{\"even\":true}]}")));
        assertEquals(25, keys(c.call("POST", "pages", "/query", "")).size()); // no body: everything

        // conditions on the key walk only that range of keys, in either order, page by page
        var pfx = c.call("POST", "pages", "/query", "{\"limit\":3,\"sort\":\"desc\",\"query\":[{\"key?pfx\":\"k1\"}]}");
        assertEquals(List.of("k19", "k18", "k17"), keys(pfx));
        assertEquals(List.of("k16", "k15", "k14"), keys(c.call("POST", "pages", "/query", "{\"limit\":3,\"sort\":\"desc\",\"last\":\"k17\",\"query\":[{\"key?pfx\":\"k1\"}]}")));
        assertEquals(List.of("k05", "k06", "k07"), keys(c.call("POST", "pages", "/query", "{\"query\":[{\"key?r\":[\"k05\",\"k07\"]}]}")));
        assertEquals(List.of("k00", "k01"), keys(c.call("POST", "pages", "/query", "{\"query\":[{\"key?lt\":\"k02\"}]}")));
        assertEquals(List.of("k23", "k24"), keys(c.call("POST", "pages", "/query", "{\"query\":[{\"key?gt\":\"k22\"}]}")));
        assertEquals(List.of("k12"), keys(c.call("POST", "pages", "/query", "{\"query\":[{\"key\":\"k12\",\"even\":true},{\"key\":\"k12\"}]}")));
        assertEquals(List.of(), keys(c.call("POST", "pages", "/query", "{\"query\":[{\"key?r\":[\"k9\",\"k0\"]}]}")));
        // a "last" outside the key range: before it, the whole range; past it, nothing (never an error)
        for (String sort : List.of("asc", "desc")) {
            var before = c.call("POST", "pages", "/query", "{\"sort\":\"" + sort + "\",\"last\":\"" + (sort.equals("asc") ? "a" : "z") + "\",\"query\":[{\"key?pfx\":\"k1\"}]}");
            assertEquals(200, before.status(), before.text());
            assertEquals(10, keys(before).size());
            var past = c.call("POST", "pages", "/query", "{\"sort\":\"" + sort + "\",\"last\":\"" + (sort.equals("asc") ? "z" : "a") + "\",\"query\":[{\"key?pfx\":\"k1\"}]}");
            assertEquals(200, past.status(), past.text());
            assertEquals(List.of(), keys(past));
        }
        // the same key condition in every branch: still one range of keys
        assertEquals(List.of("k10", "k12", "k14", "k16", "k18"), keys(c.call("POST", "pages", "/query",
                "{\"query\":[{\"key?pfx\":\"k1\",\"even\":true},{\"key?pfx\":\"k1\",\"even\":null}]}")));

        // as on Deta, a page looks at up to 1 MB of items before the query
        String big = "y".repeat(200 * 1024);
        for (int i = 0; i < 8; i++) c.call("PUT", "bigpages", "/items", "{\"items\":[{\"key\":\"b" + i + "\",\"v\":\"" + big + "\"}]}");
        var page = c.call("POST", "bigpages", "/query", "{\"limit\":1000,\"query\":[{\"v?pfx\":\"nothing\"}]}");
        assertEquals(List.of(), keys(page));
        assertEquals("b5", ((Map<?, ?>) page.map().get("paging")).get("last"));
        // a key condition goes straight to its keys: b7 is found in the first page
        assertEquals(List.of("b7"), keys(c.call("POST", "bigpages", "/query", "{\"query\":[{\"key?pfx\":\"b7\"}]}")));
    }

    @Test
    void theSymbolOperatorsAreAliasesOfTheNamedOnes() throws Exception {
        c.call("PUT", "sym", "/items", "{\"items\":[{\"key\":\"a\",\"n\":1},{\"key\":\"b\",\"n\":2},{\"key\":\"c\",\"n\":3}]}");
        for (String[] pair : new String[][] {{">", "gt"}, {"<", "lt"}, {">=", "gte"}, {"<=", "lte"}}) {
            for (String cond : List.of("\"n?%s\":2", "\"key?%s\":\"b\"")) {
                var symbol = c.call("POST", "sym", "/query", "{\"query\":[{" + cond.formatted(pair[0]) + "}]}");
                assertEquals(keys(c.call("POST", "sym", "/query", "{\"query\":[{" + cond.formatted(pair[1]) + "}]}")), keys(symbol), pair[0]);
            }
        }
        assertEquals(List.of("c"), keys(c.call("POST", "sym", "/query", "{\"query\":[{\"n?>\":2}]}")));
        assertEquals(List.of("a", "b"), keys(c.call("POST", "sym", "/query", "{\"query\":[{\"key?<=\":\"b\"}]}")));
        assertEquals(List.of("b", "c"), keys(c.call("POST", "sym", "/query", "{\"query\":[{\"n?>=\":2}]}")));
        assertEquals(List.of("a"), keys(c.call("POST", "sym", "/query", "{\"query\":[{\"key?<\":\"b\"}]}")));
        assertBad(c.call("POST", "sym", "/query", "{\"query\":[{\"key?>\":2}]}")); // still a string on the key
        assertBad(c.call("POST", "sym", "/query", "{\"query\":[{\"n?=>\":2}]}"));
    }

    @Test
    void aBadQueryIsAnsweredBadQueryAndWhyGoesToTheLog() throws Exception {
        c.call("PUT", "badq", "/items", "{\"items\":[{\"key\":\"a\",\"n\":1}]}");
        notices.clear();
        List<String> queries = List.of("{\"key?pfx\":12}", "{\"key?\":\"a\"}", "{\"n??\":1}", "{\"?\":1}", "{\"n?r\":[1]}", "{\"n?random\":1}",
                "[{\"key?pfx\":\"a\"},{\"key?pfx\":\"b\"}]", "[{\"n\":1},{\"key?<=\":\"b\"}]", "[{\"key\":\"a\",\"key?>\":\"b\"}]", "5", "[5]");
        for (String q : queries) {
            var r = c.call("POST", "badq", "/query", "{\"query\":" + q + "}");
            assertEquals(400, r.status(), q);
            assertEquals(Map.of("errors", List.of("Bad query")), r.map(), q); // exactly Deta's answer, which the SDKs show
        }
        List<String> said = notices.stream().filter(l -> l.contains("base \"badq\"")).toList();
        assertEquals(queries.size(), said.size(), said.toString());
        assertTrue(said.get(0).contains("'key?pfx' needs a string"), said.get(0));
        assertTrue(said.get(5).contains("unknown operator 'random'"), said.get(5));
        assertTrue(said.get(7).contains("in every object of the list or in none"), said.get(7));
        // a client's long field name is clipped in the log line
        notices.clear();
        assertEquals(400, c.call("POST", "badq", "/query", "{\"query\":[{\"" + "x".repeat(10_000) + "?zz\":1}]}").status());
        assertTrue(notices.get(0).length() < 400, notices.get(0));
        // other refusals keep their own words
        assertEquals(List.of("'limit' must be at least 1"), c.call("POST", "badq", "/query", "{\"limit\":0}").errors());
    }

    @Test
    void aKeyConditionIsInEveryObjectOfAnOrOrInNone() throws Exception {
        c.call("PUT", "mix", "/items", "{\"items\":[{\"key\":\"a\",\"n\":1},{\"key\":\"b\",\"n\":2}]}");
        assertBad(c.call("POST", "mix", "/query", "{\"query\":[{\"n\":1},{\"key?pfx\":\"b\"}]}"));
        assertBad(c.call("POST", "mix", "/query", "{\"query\":[{\"key\":\"b\"},{\"n\":1}]}"));
        assertEquals(List.of("a", "b"), keys(c.call("POST", "mix", "/query", "{\"query\":[{\"key?>=\":\"a\",\"n\":1},{\"key?>=\":\"a\",\"n?>\":1}]}")));
        assertEquals(List.of("a", "b"), keys(c.call("POST", "mix", "/query", "{\"query\":[{\"n\":1},{\"n\":2}]}")));
    }

    @Test
    void lastOnlyWhenAnotherMatchFollows() throws Exception {
        c.call("PUT", "more", "/items", "{\"items\":[{\"key\":\"a\",\"name\":\"x\"},{\"key\":\"b\",\"name\":\"y\"},{\"key\":\"c\",\"name\":\"y\"},{\"key\":\"d\",\"name\":\"z\"}]}");
        var one = c.call("POST", "more", "/query", "{\"query\":[{\"name\":\"x\"}],\"limit\":1}");
        assertEquals(Map.of("size", 1L), one.map().get("paging"), "the only match: no next page");
        assertEquals(List.of("a"), keys(one));
        var first = c.call("POST", "more", "/query", "{\"query\":[{\"name\":\"y\"}],\"limit\":1}");
        assertEquals(Map.of("size", 1L, "last", "b"), first.map().get("paging"), "c matches too");
        var second = c.call("POST", "more", "/query", "{\"query\":[{\"name\":\"y\"}],\"limit\":1,\"last\":\"b\"}");
        assertEquals(Map.of("size", 1L), second.map().get("paging"), "d does not match: c was the last");
        assertEquals(List.of("c"), keys(second));
        assertEquals(Map.of("size", 4L), c.call("POST", "more", "/query", "{\"limit\":4}").map().get("paging"));
        assertEquals(Map.of("size", 3L, "last", "c"), c.call("POST", "more", "/query", "{\"limit\":3}").map().get("paging"));
        var desc = c.call("POST", "more", "/query", "{\"query\":[{\"name\":\"y\"}],\"limit\":2,\"sort\":\"desc\"}");
        assertEquals(List.of("c", "b"), keys(desc));
        assertEquals(Map.of("size", 2L), desc.map().get("paging"));
        assertEquals(Map.of("size", 1L), c.call("POST", "more", "/query", "{\"query\":[{\"key?pfx\":\"b\"}],\"limit\":1}").map().get("paging"));
    }

    @Test
    void anUpdateWithNothingInItIsRefused() throws Exception {
        c.call("PUT", "empty", "/items", "{\"items\":[{\"key\":\"k\",\"v\":1}]}");
        // what the python SDK sends for update({}, key)
        assertBad(c.call("PATCH", "empty", "/items/k", "{\"set\":{},\"increment\":{},\"append\":{},\"prepend\":{},\"delete\":[]}"));
        assertBad(c.call("PATCH", "empty", "/items/k", "{}"));
        assertEquals(Map.of("key", "k", "v", 1L), c.call("GET", "empty", "/items/k", null).map());
        assertEquals(200, c.call("PATCH", "empty", "/items/k", "{\"delete\":[\"v\"]}").status()); // one action is enough
        assertEquals(Map.of("key", "k"), c.call("GET", "empty", "/items/k", null).map());
    }

    @Test
    void containsLooksForStringsOnly() throws Exception {
        c.call("PUT", "cont", "/items", """
                {"items":[{"key":"nums","l":[1,2,3]},{"key":"strs","l":["1","2","3"]},{"key":"mixed","l":[2,"2",true,{"a":"2"}]},
                {"key":"text","l":"1 2 3"},{"key":"bools","l":[true,false]}]}""");
        assertEquals(List.of("mixed", "strs", "text"), q2("cont", "{\"l?contains\":\"2\"}"));
        assertEquals(List.of(), q2("cont", "{\"l?contains\":2}"), "a list of numbers is not searched (Deta's docs)");
        assertEquals(List.of(), q2("cont", "{\"l?contains\":true}"));
        assertEquals(List.of(), q2("cont", "{\"l?contains\":{\"a\":\"2\"}}"));
        assertEquals(List.of("bools", "nums"), q2("cont", "{\"l?not_contains\":\"2\"}"));
        assertEquals(List.of("bools", "mixed", "nums", "strs", "text"), q2("cont", "{\"l?!contains\":2}"));
    }

    private static List<String> q2(String base, String query) throws Exception {
        return keys(c.call("POST", base, "/query", "{\"query\":" + query + "}"));
    }

    @Test
    void numbersNeedingMoreThan16SignificantDigitsAreRefused() throws Exception {
        for (String n : List.of("0.12345678901234567", "1.0000000000000002", "123456789.12345678", "-0.30000000000000004", "1.2345678901234567e-300")) {
            assertBad(c.call("PUT", "digits", "/items", "{\"items\":[{\"key\":\"p\",\"v\":" + n + "}]}"));
            assertBad(c.call("POST", "digits", "/items", "{\"item\":{\"key\":\"i\",\"v\":[" + n + "]}}"));
        }
        assertEquals(0, service.count("digits"));
        String sixteen = "{\"key\":\"ok\",\"a\":0.1234567890123456,\"b\":1234567890.123456,\"c\":1.5e-300,\"d\":0.30000000000000000,\"e\":3.14159265359}";
        assertEquals(207, c.call("PUT", "digits", "/items", "{\"items\":[" + sixteen + "]}").status());
        assertEquals("{\"key\":\"ok\",\"a\":0.1234567890123456,\"b\":1234567890.123456,\"c\":1.5E-300,\"d\":0.3,\"e\":3.14159265359}",
                c.call("GET", "digits", "/items/ok", null).text(), "what is stored is what was sent");
        // an update's numbers too; a sum is kept to 16 digits, as Deta's decimals did (0.1 + 0.2 is 0.3)
        assertBad(c.call("PATCH", "digits", "/items/ok", "{\"set\":{\"x\":0.12345678901234567}}"));
        assertBad(c.call("PATCH", "digits", "/items/ok", "{\"increment\":{\"a\":0.12345678901234567}}"));
        assertBad(c.call("PATCH", "digits", "/items/ok", "{\"append\":{\"l\":[0.12345678901234567]}}"));
        c.call("PUT", "digits", "/items", "{\"items\":[{\"key\":\"sum\",\"v\":0.2}]}");
        assertEquals(200, c.call("PATCH", "digits", "/items/sum", "{\"increment\":{\"v\":0.1}}").status());
        assertEquals(0.3, c.call("GET", "digits", "/items/sum", null).map().get("v"));
        // an export an earlier micros wrote with such a number still imports, unchanged
        service.importItems("imported", List.of(Json.parse("{\"key\":\"old\",\"v\":0.30000000000000004}")), false);
        assertEquals(0.30000000000000004, c.call("GET", "imported", "/items/old", null).map().get("v"));
    }

    @Test
    void aPutTheStorageFailedAnswers207WithItsItemsUnderFailed() throws Exception {
        Files.createDirectories(dir.resolve("bases").resolve(BaseNames.fileName("broken"))); // a log that cannot be opened
        notices.clear();
        var r = c.call("PUT", "broken", "/items", "{\"items\":[{\"key\":\"k1\",\"v\":1},{\"key\":\"k2\"}]}");
        assertEquals(207, r.status(), r.text());
        assertEquals(Json.parse("{\"processed\":{\"items\":[]},\"failed\":{\"items\":[{\"key\":\"k1\",\"v\":1},{\"key\":\"k2\"}]}}"), r.json());
        assertFalse(r.text().contains(dir.toString()), r.text());
        assertEquals(1, notices.size(), notices.toString());
        assertTrue(notices.get(0).contains("base \"broken\"") && notices.get(0).contains("storage failed"), notices.get(0));
        assertEquals(404, c.call("GET", "broken", "/items/k1", null).status());
        // a put that works carries no "failed"
        assertEquals(Map.of("processed", Map.of("items", List.of(Map.of("key", "k")))), c.call("PUT", "fine", "/items", "{\"items\":[{\"key\":\"k\"}]}").map());
    }

    @Test
    void expiringItems() throws Exception {
        long past = System.currentTimeMillis() / 1000 - 10, future = past + 3600;
        var put = c.call("PUT", "ttl", "/items", "{\"items\":[{\"key\":\"gone\",\"__expires\":" + past + "},{\"key\":\"stays\",\"__expires\":" + future + "}]}");
        assertEquals(207, put.status()); // an expired timestamp does not fail the put
        assertEquals(404, c.call("GET", "ttl", "/items/gone", null).status());
        assertEquals(future, c.call("GET", "ttl", "/items/stays", null).map().get("__expires"));
        assertEquals(List.of("stays"), keys(c.call("POST", "ttl", "/query", "{}")));
        assertEquals(404, c.call("PATCH", "ttl", "/items/gone", "{\"set\":{\"a\":1}}").status());
        assertEquals(201, c.call("POST", "ttl", "/items", "{\"item\":{\"key\":\"gone\",\"again\":true}}").status()); // expired is absent
        assertEquals(200, c.call("PATCH", "ttl", "/items/stays", "{\"set\":{\"__expires\":" + past + "}}").status());
        assertEquals(404, c.call("GET", "ttl", "/items/stays", null).status());
        assertEquals(1, service.count("ttl"));
        service.purgeExpired();
        assertFalse(service.base("ttl").holds("stays"), "expired items are purged");
    }

    @Test
    void concurrentWritersNeitherLoseNorDuplicate() throws Exception {
        c.call("PUT", "race", "/items", "{\"items\":[{\"key\":\"counter\",\"n\":0}]}");
        List<Integer> inserts = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread th = new Thread(() -> {
                try {
                    inserts.add(c.call("POST", "race", "/items", "{\"item\":{\"key\":\"once\"}}").status());
                    for (int i = 0; i < 25; i++) assertEquals(200, c.call("PATCH", "race", "/items/counter", "{\"increment\":{\"n\":1}}").status());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) th.join();
        assertEquals(1, inserts.stream().filter(st -> st == 201).count(), inserts.toString());
        assertEquals(7, inserts.stream().filter(st -> st == 409).count(), inserts.toString());
        assertEquals(200L, c.call("GET", "race", "/items/counter", null).map().get("n"));
    }

    @Test
    void authenticationAndPaths() throws Exception {
        c.call("PUT", "auth", "/items", "{\"items\":[{\"key\":\"k\"}]}");
        var none = c.raw("GET", "/v1/a0abcyxz/auth/items/k", null, null);
        assertEquals(401, none.status());
        assertNotNull(none.errors());
        assertEquals(401, c.raw("GET", "/v1/a0abcyxz/auth/items/k", "a0abcyxz_wrong", null).status());
        assertEquals(401, c.raw("GET", "/v1/other/auth/items/k", "a0abcyxz_secret", null).status()); // key of another project
        assertEquals(404, c.raw("GET", "/v2/a0abcyxz/auth/items/k", "a0abcyxz_secret", null).status());
        assertEquals(404, c.raw("GET", "/v1/a0abcyxz/auth/nothing", "a0abcyxz_secret", null).status());
        assertEquals(405, c.raw("GET", "/v1/a0abcyxz/auth/query", "a0abcyxz_secret", null).status());
        assertEquals(200, c.raw("GET", "/v1/a0abcyxz/auth/items/k", "a0abcyxz_secret", null).status());
        // the owner's path skips the key: the gateway authenticated the owner
        assertEquals(200, c.raw("GET", "/__space/v0/base/auth/items/k", null, null).status());
        assertEquals(List.of("k"), keys(c.raw("POST", "/__space/v0/base/auth/query", null, "{}")));
    }

    @Test
    void oddBaseNamesStayInsideTheFolder() throws Exception {
        for (String name : List.of("..", "%2E%2E", "a%2F..%2F..%2Fescape", "%00nul", "sp%20ace", "%C3%BC")) {
            var r = c.call("PUT", name, "/items", "{\"items\":[{\"key\":\"k\"}]}");
            assertEquals(207, r.status(), name + ": " + r.text());
            assertEquals(200, c.call("GET", name, "/items/k", null).status());
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("bases")), files.toList(), "nothing written beside bases/");
        }
        try (var files = Files.list(dir.resolve("bases"))) {
            files.forEach(f -> assertTrue(f.getFileName().toString().matches("[A-Za-z0-9_%-]+\\.log"), f.toString()));
        }
        assertTrue(service.names().containsAll(List.of("..", "a/../../escape", "\0nul", "sp ace", "ü")), service.names().toString());
        assertBad(c.call("PUT", "x".repeat(101), "/items", "{\"items\":[{\"key\":\"k\"}]}"));
        assertNull(service.base("x".repeat(101)));
    }

    static void assertBad(BaseClient.Answer a) {
        assertEquals(400, a.status(), a.text());
        assertFalse(a.errors().isEmpty());
    }
}
