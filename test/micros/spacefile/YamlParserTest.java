package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import micros.spacefile.YamlNode.Mapping;
import micros.spacefile.YamlNode.Scalar;
import micros.spacefile.YamlNode.Sequence;
import micros.spacefile.YamlNode.Style;

class YamlParserTest {

    private static Mapping map(String yaml) throws YamlException {
        return assertInstanceOf(Mapping.class, YamlParser.parse(yaml));
    }

    private static String str(YamlNode n) {
        return assertInstanceOf(Scalar.class, n).value();
    }

    private static Object plain(YamlNode n) {
        if (n instanceof Scalar s) return s.value();
        if (n instanceof Sequence s) return s.items().stream().map(YamlParserTest::plain).toList();
        Mapping m = (Mapping) n;
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (var e : m.entries()) out.put(e.key().value(), plain(e.value()));
        return out;
    }

    private static YamlException fails(String yaml) {
        return assertThrows(YamlException.class, () -> YamlParser.parse(yaml));
    }

    @Test
    void nodesCarryLineAndColumn() throws Exception {
        Mapping m = map("v: 0\nmicros:\n  - name: api\n    src: .\n");
        Sequence micros = (Sequence) m.get("micros");
        Mapping first = (Mapping) micros.items().get(0);
        Scalar src = (Scalar) first.get("src");
        assertEquals(4, src.line());
        assertEquals(10, src.column());
        assertEquals(3, first.line());
        assertEquals(5, first.column());
        assertEquals(2, m.entry("micros").key().line());
    }

    @Test
    void comments() throws Exception {
        Mapping m = map("# top\nv: 0 # trailing\nrun: echo a#b   # the # inside a word stays\nq: \"x # y\" # quoted hash stays\n  # indented comment\n");
        assertEquals("0", str(m.get("v")));
        assertEquals("echo a#b", str(m.get("run")));
        assertEquals("x # y", str(m.get("q")));
    }

    @Test
    void plainScalarsWithColonsDollarsPercentsPipes() throws Exception {
        Mapping m = map("run: uvicorn main:app --host 0.0.0.0:$PORT\nurl: https://example.com/a?b=c%20d\npipe: a | b\ntext: héllo wörld ✓ 日本\n");
        assertEquals("uvicorn main:app --host 0.0.0.0:$PORT", str(m.get("run")));
        assertEquals("https://example.com/a?b=c%20d", str(m.get("url")));
        assertEquals("a | b", str(m.get("pipe")));
        assertEquals("héllo wörld ✓ 日本", str(m.get("text")));
    }

    @Test
    void longLines() throws Exception {
        String longValue = "x".repeat(20_000);
        assertEquals(longValue, str(map("k: " + longValue + "\n").get("k")));
    }

    @Test
    void quotedScalars() throws Exception {
        Mapping m = map("a: 'it''s'\nb: \"say \\\"hi\\\"\\n\\t\\u00e9\\x41\"\nc: 'a \"double\" inside'\nd: \"a 'single' inside\"\ne: ''\nf: \"\"\n");
        assertEquals("it's", str(m.get("a")));
        assertEquals("say \"hi\"\n\té" + "A", str(m.get("b")));
        assertEquals("a \"double\" inside", str(m.get("c")));
        assertEquals("a 'single' inside", str(m.get("d")));
        assertEquals("", str(m.get("e")));
        assertEquals(Style.SINGLE_QUOTED, ((Scalar) m.get("e")).style());
        assertEquals(Style.DOUBLE_QUOTED, ((Scalar) m.get("f")).style());
    }

    @Test
    void multiLineQuotedScalarsFold() throws Exception {
        Mapping m = map("a: \"one\n  two\n\n  three\"\nb: 'x\n  y'\n");
        assertEquals("one two\nthree", str(m.get("a")));
        assertEquals("x y", str(m.get("b")));
    }

    @Test
    void quotedKeys() throws Exception {
        Mapping m = map("\"v\": 0\n'app_name': x\n");
        assertEquals("0", str(m.get("v")));
        assertEquals("x", str(m.get("app_name")));
    }

    @Test
    void sequencesIndentedUnderTheirKeyOrAtItsColumn() throws Exception {
        Object indented = plain(map("micros:\n  - name: a\n    src: .\n  - name: b\n"));
        Object atColumn = plain(map("micros:\n- name: a\n  src: .\n- name: b\n"));
        assertEquals(indented, atColumn);
        assertEquals(java.util.Map.of("micros", List.of(java.util.Map.of("name", "a", "src", "."), java.util.Map.of("name", "b"))), indented);
    }

    @Test
    void anyConsistentIndentationWidthAndOddColumns() throws Exception {
        Object two = plain(map("micros:\n  - name: a\n    commands:\n      - x\n"));
        Object four = plain(map("micros:\n    - name: a\n      commands:\n          - x\n"));
        Object odd = plain(map("micros:\n   - name: a\n     commands:\n     - x\n"));
        assertEquals(two, four);
        assertEquals(two, odd);
    }

    @Test
    void sequenceAtKeyColumnInsideAnItem() throws Exception {
        Mapping m = map("micros:\n  - name: f\n    commands:\n    - \"ls -al\"\n    #- npm run build\n    run: node bundled\n");
        Mapping micro = (Mapping) ((Sequence) m.get("micros")).items().get(0);
        assertEquals(List.of("ls -al"), plain(micro.get("commands")));
        assertEquals("node bundled", str(micro.get("run")));
    }

    @Test
    void nestedSequencesAndEmptyItems() throws Exception {
        assertEquals(List.of(List.of("a", "b"), "c", ""), plain(YamlParser.parse("- - a\n  - b\n- c\n-\n")));
    }

    @Test
    void flowCollections() throws Exception {
        Mapping m = map("public_routes: [\"/*\", \"/api/*\"]\nmicro: {name: a, src: ., engine: static}\nempty: []\nnested: [a, [b, c], {d: e}]\nmulti: [\n  one,  # a comment\n  'two',\n]\n");
        assertEquals(List.of("/*", "/api/*"), plain(m.get("public_routes")));
        assertEquals(java.util.Map.of("name", "a", "src", ".", "engine", "static"), plain(m.get("micro")));
        assertEquals(List.of(), plain(m.get("empty")));
        assertEquals(List.of("a", List.of("b", "c"), java.util.Map.of("d", "e")), plain(m.get("nested")));
        assertEquals(List.of("one", "two"), plain(m.get("multi")));
        assertEquals(List.of("http://x:1/y"), plain(map("u: [http://x:1/y]").get("u")));
    }

    @Test
    void multiLinePlainScalarsFoldWithSpaces() throws Exception {
        Mapping m = map("description: this is a long\n  description over\n  three lines\nnext: x\n");
        assertEquals("this is a long description over three lines", str(m.get("description")));
        assertEquals("blank\nline", str(map("d: blank\n\n  line\n").get("d")));
        assertEquals("item continues", plain(((Sequence) YamlParser.parse("- item\n  continues\n")).items().get(0)));
    }

    @Test
    void blockScalarsWithChomping() throws Exception {
        Mapping m = map("lit: |\n  line 1\n    indented\n  line 3\n\nfold: >\n  a\n  b\n\n  c\nstrip: |-\n  x\n\nkeep: |+\n  y\n\n\nafter: z\n");
        assertEquals("line 1\n  indented\nline 3\n", str(m.get("lit")));
        assertEquals("a b\nc\n", str(m.get("fold")));
        assertEquals("x", str(m.get("strip")));
        assertEquals("y\n\n\n", str(m.get("keep")));
        assertEquals("z", str(m.get("after")));
        assertEquals("# not a comment\nx\n", str(map("run: |\n  # not a comment\n  x\n").get("run")));
        assertEquals("  two\n", str(map("k: |2\n    two\n").get("k")));
        assertEquals("a\n  b\nc", str(map("k: >-\n  a\n    b\n  c\n").get("k")));
    }

    @Test
    void documentMarkersBomCrlfAndWhitespace() throws Exception {
        Object expected = plain(map("v: 0\nmicros:\n  - name: a\n"));
        assertEquals(expected, plain(map("---\nv: 0\nmicros:\n  - name: a\n...\n")));
        assertEquals(expected, plain(map("\uFEFFv: 0\r\nmicros:\r\n  - name: a\r\n")));
        assertEquals(expected, plain(map("v: 0   \n   \n\t\nmicros:  \n  - name: a  ")));
        assertEquals(expected, plain(map("# c\n--- # start\nv: 0\nmicros:\n  - name: a\n... # end\n# trailing comment\n")));
    }

    @Test
    void scalarTypesResolve() throws Exception {
        Mapping m = map("t: true\nf: False\ni: 42\nn: null\ntilde: ~\nempty:\nq: \"true\"\n");
        assertEquals(Boolean.TRUE, ((Scalar) m.get("t")).asBoolean());
        assertEquals(Boolean.FALSE, ((Scalar) m.get("f")).asBoolean());
        assertEquals(42L, ((Scalar) m.get("i")).asInteger());
        assertTrue(((Scalar) m.get("n")).isNull());
        assertTrue(((Scalar) m.get("tilde")).isNull());
        assertTrue(((Scalar) m.get("empty")).isNull());
        assertEquals(null, ((Scalar) m.get("q")).asBoolean());
    }

    @Test
    void emptyDocument() throws Exception {
        assertTrue(((Scalar) YamlParser.parse("")).isNull());
        assertTrue(((Scalar) YamlParser.parse("# only a comment\n\n")).isNull());
    }

    // ---- rejections: line, column and a sentence that says how to fix it ----

    @Test
    void tabIndentationIsRefused() {
        YamlException e = fails("micros:\n  - name: api\n\t\tdev: nodemon index.js\n");
        assertEquals(3, e.line());
        assertEquals(1, e.column());
        assertTrue(e.getMessage().contains("indentation must use spaces, not tabs"), e.getMessage());
    }

    @Test
    void duplicateKeyIsRefused() {
        YamlException e = fails("v: 0\nmicros:\n  - name: a\n    src: .\n    name: b\n");
        assertEquals(5, e.line());
        assertEquals(5, e.column());
        assertTrue(e.getMessage().contains("duplicate key 'name' (first at line 3)"), e.getMessage());
    }

    @Test
    void unclosedQuotesAreRefusedAtTheOpeningQuote() {
        YamlException e = fails("v: 0\nname: \"api\nsrc: .\n");
        assertEquals(2, e.line());
        assertEquals(7, e.column());
        assertTrue(e.getMessage().contains("unclosed quote"), e.getMessage());
        assertTrue(fails("a: 'x\n").getMessage().contains("unclosed quote"));
        assertTrue(fails("a: [x, y\n").getMessage().contains("unclosed '['"));
    }

    @Test
    void inconsistentIndentationIsRefused() {
        YamlException e = fails("micros:\n  - name: a\n     src: .\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("indentation") || e.getMessage().contains("quoted"), e.getMessage());
        YamlException e2 = fails("v: 0\nmicros:\n    - name: a\n  - name: b\n");
        assertEquals(4, e2.line());
        assertTrue(e2.getMessage().contains("inconsistent indentation"), e2.getMessage());
        YamlException e3 = fails("a:\n  b: 1\n   c: 2\n");
        assertEquals(3, e3.line());
        assertTrue(e3.getMessage().contains("inconsistent indentation"), e3.getMessage());
    }

    @Test
    void unquotedStarIsAnAliasAndMustBeQuoted() {
        YamlException e = fails("actions:\n  - default_interval: * * * * *\n");
        assertEquals(2, e.line());
        assertEquals(23, e.column());
        assertTrue(e.getMessage().contains("a value starting with * must be quoted"), e.getMessage());
    }

    @Test
    void anchorsAliasesAndTagsAreRefused() {
        assertTrue(fails("a: &x 1\n").getMessage().contains("anchors"));
        assertTrue(fails("a: *x\n").getMessage().contains("must be quoted"));
        assertTrue(fails("a: !!str 1\n").getMessage().contains("tags"));
        assertTrue(fails("? complex\n: key\n").getMessage().contains("complex keys"));
    }

    @Test
    void aSecondDocumentIsRefused() {
        YamlException e = fails("v: 0\n---\nv: 1\n");
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("one YAML document"), e.getMessage());
        assertTrue(fails("v: 0\n...\nv: 1\n").getMessage().contains("nothing may follow"));
    }

    @Test
    void otherMistakesGetAClearSentence() {
        assertTrue(fails("run: echo a: b\n").getMessage().contains("must be quoted"));
        assertTrue(fails("key: - a\n").getMessage().contains("own line"));
        assertTrue(fails("a: \"x\" y\n").getMessage().contains("after the closing quote"));
        assertTrue(fails("a: \"\\q\"\n").getMessage().contains("unknown escape"));
        assertTrue(fails("v: 0\nkey:value\n").getMessage().contains("space after ':'"));
        assertTrue(fails("a: |x\n  b\n").getMessage().contains("next line"));
        assertTrue(fails("%YAML 1.2\n---\na: 1\n").getMessage().contains("directives"));
    }
}
