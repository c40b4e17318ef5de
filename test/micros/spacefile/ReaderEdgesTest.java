package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.support.Jar;
import micros.util.Json;

/** The Spacefile reader against hostile input: depth, size, YAML types, control characters, odd paths. */
class ReaderEdgesTest {
    @TempDir
    Path dir;

    private static final String HEAD = "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: python3.9\n";

    private Reading read(String yaml) throws Exception {
        Files.createDirectories(dir.resolve("api"));
        return SpacefileReader.parse(yaml, dir.resolve("Spacefile"));
    }

    private Problem onlyError(String yaml) throws Exception {
        Reading r = read(yaml);
        assertFalse(r.valid(), yaml);
        List<Problem> errors = r.problems().stream().filter(Problem::isError).toList();
        assertEquals(1, errors.size(), errors::toString);
        return errors.get(0);
    }

    @Test
    void deepNestingIsOneSentenceNotAStackOverflow() throws Exception {
        StringBuilder block = new StringBuilder();
        for (int i = 0; i < 1000; i++) block.append(" ".repeat(i)).append("k:\n");
        assertTrue(onlyError(block.toString()).message().contains("nests more than 64 levels"));
        String flow = "v: " + "[".repeat(5000) + "]".repeat(5000) + "\n";
        assertTrue(onlyError(flow).message().contains("nests more than 64 levels"));
        Path f = dir.resolve("deep");
        Files.writeString(f, flow);
        Jar.Result r = Jar.run(dir, "validate", f.toString());
        assertEquals(2, r.exit(), r.all());
        assertFalse(r.all().contains("internal error"), r.all());
    }

    @Test
    void aFileOverOneMebibyteOrEndlessIsNotASpacefile() throws Exception {
        Jar.Result zero = Jar.run(dir, "validate", "/dev/zero");
        assertEquals(2, zero.exit(), zero.all());
        assertTrue(zero.all().contains("over 1 MiB"), zero.all());
        Path big = dir.resolve("big");
        Files.writeString(big, HEAD + "#" + "x".repeat(1 << 20) + "\n");
        Jar.Result r = Jar.run(dir, "validate", big.toString());
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.all().contains("over 1 MiB"), r.all());
    }

    @ParameterizedTest(name = "name: {0}")
    @ValueSource(strings = {"0x1F", "0o17", "017", ".inf", "-.Inf", ".nan", "yes", "No", "on", "OFF", "1_000", "1:20", "190:20:30.15", "2024-01-31", "2001-12-14 21:59:43.10 -5", ".5"})
    void valuesYamlTypesAsNonTextAreRefusedInTextFields(String value) throws Exception {
        Problem p = onlyError(HEAD + "    run: " + value + "\n");
        assertEquals("micros[0].run", p.field());
        assertTrue(p.message().contains("put it in quotes (\"" + value + "\")"), p.message());
        assertTrue(read(HEAD + "    run: \"" + value + "\"\n").valid(), "quoted, it is text");
    }

    @ParameterizedTest(name = "name: {0}")
    @ValueSource(strings = {"y", "n", "x1F", "1.2.3", "v1:20", "2024-1", "0x", "."})
    void textThatOnlyLooksTypedStaysText(String value) throws Exception {
        Reading r = read(HEAD + "    run: " + value + "\n");
        assertTrue(r.valid(), () -> value + ": " + r.problems());
    }

    @Test
    void controlCharactersAreRefusedWithLineAndColumn() throws Exception {
        for (String c : List.of("\u0000", "\u001b", "\u0007", "\u0085", "\u2028", "\u0090", "\u007f")) {
            Problem p = onlyError(HEAD + "    run: echo a" + c + "b\n");
            assertEquals(6, p.line(), p::toString);
            assertEquals(16, p.column(), p::toString);
            assertTrue(p.message().contains("control character"), p.message());
        }
        assertTrue(onlyError(HEAD + "    run: a\u001bb\n").message().contains("U+001B (ESC)"));
        assertTrue(read(HEAD + "    run: \"a\\u001bb\\tc\"\n").valid(), "escapes in double quotes are fine");
    }

    @Test
    void crOnlyLineEndingsAreNamed() throws Exception {
        Problem p = onlyError(HEAD.replace("\n", "\r"));
        assertEquals(1, p.line());
        assertTrue(p.message().contains("lone CR"), p.message());
        assertTrue(read(HEAD.replace("\n", "\r\n")).valid(), "CRLF is fine");
    }

    @Test
    void versionInAnotherNotationIsNotToldToDropQuotes() throws Exception {
        String m = onlyError(HEAD.replace("v: 0", "v: 0.5")).message();
        assertFalse(m.contains("without quotes"), m);
        assertTrue(m.contains("write 'v: 0'"), m);
        assertTrue(onlyError(HEAD.replace("v: 0", "v: \"0\"")).message().contains("without quotes"));
    }

    /** Space's CLI read v with Go's yaml.v3 and its schema asked for the integer 0: any notation of the number 0 passed. */
    @ParameterizedTest(name = "v: {0}")
    @ValueSource(strings = {"0", "0.0", "-0.0", "0x0", "0o0", "00", "0b0", "+0", "-0", "0_0", "0e0", ".0", "0.", "!!int \"0\"", "!!float 0", "!!int 0x0", "! 0"})
    void versionZeroInEveryNotationSpacesReaderReadAsZero(String v) throws Exception {
        Reading r = read(HEAD.replace("v: 0", "v: " + v));
        assertTrue(r.valid(), () -> v + ": " + r.problems());
    }

    @ParameterizedTest(name = "v: {0}")
    @ValueSource(strings = {"0.5", "1.0", "0x1", "\"0\"", "!!str 0", "~", "1e400", "0x", "false", "0:0"})
    void otherVersionsAreStillErrors(String v) throws Exception {
        Problem p = onlyError(HEAD.replace("v: 0", "v: " + v));
        assertEquals("v", p.field(), p::toString);
        assertEquals(1, p.line(), p::toString);
    }

    @Test
    void anAppWrittenWithAnchorsAliasesAndMergeKeysReadsAsWrittenOut() throws Exception {
        Files.createDirectories(dir.resolve("web"));
        String anchored = "v: 0\nmicros:\n  - &api\n    name: api\n    src: api\n    engine: python3.9\n    run: &run uvicorn main:app\n"
                + "    presets: &presets\n      env:\n        - name: TOKEN\n    primary: true\n"
                + "  - <<: *api\n    name: worker\n    primary: false\n    dev: *run\n";
        String written = "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: python3.9\n    run: uvicorn main:app\n"
                + "    presets:\n      env:\n        - name: TOKEN\n    primary: true\n"
                + "  - name: worker\n    src: api\n    engine: python3.9\n    run: uvicorn main:app\n    presets:\n      env:\n        - name: TOKEN\n"
                + "    primary: false\n    dev: uvicorn main:app\n";
        Reading a = read(anchored), w = read(written);
        assertTrue(a.valid(), a.problems()::toString);
        assertTrue(w.valid(), w.problems()::toString);
        assertEquals(w.app().micros().toString(), a.app().micros().toString());
    }

    @Test
    void aProblemWithAValueFromAnAliasIsReportedAtTheAlias() throws Exception {
        Reading r = read("v: 0\nmicros:\n  - &api\n    name: api\n    src: api\n    engine: python3.12\n    primary: true\n"
                + "  - <<: *api\n    name: two\n    primary: false\n");
        List<String> errors = r.problems().stream().filter(Problem::isError).map(p -> p.line() + ":" + p.column() + " " + p.field()).toList();
        // the anchored micro's own engine at its line; the merged copy's at the '*api' that brought it
        assertEquals(List.of("6:13 micros[0].engine", "8:9 micros[1].engine"), errors, r.problems()::toString);
    }

    @Test
    void aTagDecidesWhetherAValueIsText() throws Exception {
        assertTrue(read(HEAD + "    run: !!str 5\n").valid());
        Problem p = onlyError(HEAD + "    run: !!int \"5\"\n");
        assertEquals("micros[0].run", p.field());
        assertTrue(p.message().contains("expected text, got the number 5: remove the tag !!int"), p.message());
        assertTrue(read(HEAD + "    public: !!bool \"true\"\n").valid());
    }

    @Test
    void aBillionLaughsIsOneSentenceAtFileLineColumn() throws Exception {
        StringBuilder doc = new StringBuilder("v: 0\nmicros:\n  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (char c = 'b'; c <= 'z'; c++)
            doc.append("  - &").append(c).append(" [").append(String.join(", ", java.util.Collections.nCopies(9, "*" + (char) (c - 1)))).append("]\n");
        Path f = dir.resolve("laughs");
        Files.writeString(f, doc.toString());
        Jar.Result r = Jar.run(dir, "validate", f.toString());
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.all().contains(f + ":7:9: the aliases make this document larger than 10000 nodes"), r.all());
        assertFalse(r.all().contains("internal error") || r.all().contains("Exception"), r.all());
    }

    @Test
    void aSymlinkLoopIsNamedAsOne() throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        Jar.Result r = Jar.run(dir, "validate", a.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("loops back on itself"), r.all());
        assertFalse(r.all().contains("does not exist"), r.all());
    }

    @Test
    void jsonIsAnArrayEvenWhenTheFileCannotBeRead() throws Exception {
        Jar.Result r = Jar.run(dir, "validate", dir.resolve("nope").toString(), "--json");
        assertEquals(2, r.exit());
        Object doc = Json.parse(r.out().strip());
        assertTrue(doc instanceof List<?>, r.out());
        @SuppressWarnings("unchecked")
        Map<String, Object> p = (Map<String, Object>) ((List<?>) doc).get(0);
        assertEquals("error", p.get("severity"));
        assertTrue(((String) p.get("message")).contains("does not exist"), r.out());
    }
}
