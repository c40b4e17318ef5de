package micros.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** `deta run`'s input, as the deta CLI built it (its own test cases), and its response as it printed it. */
class RunInputTest {

    @Test
    void stringsListsAndBooleansAsTheDetaCliBuiltThem() {
        assertEquals(Map.of("name", "Jimmy", "age", "33", "active", true), RunInput.parse(List.of("--name", "Jimmy", "--age", "33", "-active")));
        assertEquals(Map.of("emails", List.of("jimmy@deta.sh", "joe@deta.sh")), RunInput.parse(List.of("--emails", "jimmy@deta.sh", "--emails", "joe@deta.sh")));
        // the deta CLI's own cases: dashes stripped, a flag without a value is "", an empty word is a value
        assertEquals(Map.of("name", "jimmy", "age", "", "dank", "", "address", "some street"),
                RunInput.parse(List.of("------name", "jimmy", "", "--address", "some street", "--dank", "--age")));
        assertEquals(Map.of("name", List.of("jimmy", "jonah")), RunInput.parse(List.of("--name", "jimmy", "--", "--name", "jonah")));
        assertEquals(Map.of("a", List.of("1", "2", "3")), RunInput.parse(List.of("--a", "1", "--a", "2", "--a", "3")));
    }

    @Test
    void theBodyIsCompactJsonWithSortedKeys() {
        assertEquals("{\"active\":true,\"age\":\"33\",\"name\":\"Jimmy\"}", RunInput.json(RunInput.parse(List.of("--name", "Jimmy", "--age", "33", "-active"))));
        assertEquals("{}", RunInput.json(RunInput.parse(List.of())));
    }

    @Test
    void responsesArePrintedAsGoIndentedThem() {
        assertEquals("\"Welcome to Deta!\"", RunInput.pretty("Welcome to Deta!"));
        assertEquals("{\n\t\"message\": \"hello deta!\"\n}", RunInput.pretty(Map.of("message", "hello deta!")));
        assertEquals("{\n\t\"a\": [\n\t\t1,\n\t\t2.5\n\t],\n\t\"b\": {},\n\t\"c\": null\n}",
                RunInput.pretty(new java.util.TreeMap<>(Map.of("b", Map.of(), "a", List.of(1L, 2.5), "c", "x")) {{ put("c", null); }}));
        assertEquals("[]", RunInput.pretty(List.of()));
        assertEquals("3", RunInput.pretty(3.0));
    }
}
