package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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
        assertEquals(expected, plain(map("v: 0   \n   \n\nmicros:  \n  - name: a  ")));
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
    void complexKeysAreRefused() {
        assertTrue(fails("? complex\n: key\n").getMessage().contains("complex keys"));
    }

    // ---- what Space's reader (Go's yaml.v3) also accepted ----

    @Test
    void aliasesRepeatTheAnchoredNode() throws Exception {
        Mapping m = map("a: &x 1\nb: *x\nlist: &l\n  - p\n  - q\nagain: *l\nflow: [&f {k: v}, *f, *x]\nitems:\n  - &i\n    name: n\n  - *i\nempty: &e\nalso: *e\n");
        assertEquals("1", str(m.get("b")));
        assertEquals(List.of("p", "q"), plain(m.get("again")));
        assertEquals(List.of(java.util.Map.of("k", "v"), java.util.Map.of("k", "v"), "1"), plain(m.get("flow")));
        assertEquals(List.of(java.util.Map.of("name", "n"), java.util.Map.of("name", "n")), plain(m.get("items")));
        assertTrue(((Scalar) m.get("also")).isNull());
        // an anchor may be named again; an alias takes the latest
        assertEquals("2", str(map("a: &x 1\nb: &x 2\nc: *x\n").get("c")));
    }

    @Test
    void whatCameThroughAnAliasIsAtTheAlias() throws Exception {
        Mapping m = map("a: &x\n  k: [v]\nb:   *x\n");
        Mapping copy = (Mapping) m.get("b");
        Sequence inner = (Sequence) copy.get("k");
        for (YamlNode n : List.of(copy, copy.entry("k").key(), inner, inner.items().get(0))) {
            assertEquals(3, n.line(), n::toString);
            assertEquals(6, n.column(), n::toString);
        }
        Mapping original = (Mapping) m.get("a");
        assertEquals(2, original.line());
        assertEquals(3, original.column());
    }

    @Test
    void mergeKeysAddTheKeysAMappingLacks() throws Exception {
        String base = "a: &a\n  x: 1\n  y: 1\nb: &b\n  y: 2\n  z: 2\n";
        assertEquals(java.util.Map.of("x", "1", "y", "1", "w", "0"), plain(map(base + "c:\n  <<: *a\n  w: 0\n").get("c")));
        // own keys win, even written after '<<'; of several mappings the first listed wins
        assertEquals(java.util.Map.of("x", "0", "y", "1", "z", "2"), plain(map(base + "c:\n  <<: [*a, *b]\n  x: 0\n").get("c")));
        assertEquals(java.util.Map.of("x", "1", "y", "2", "z", "2"), plain(map(base + "c:\n  <<:\n    - *b\n    - *a\n").get("c")));
        assertEquals(java.util.Map.of("p", "1", "q", "2"), plain(map("c: {<<: {p: 1}, q: 2}\n").get("c")));
        assertEquals(java.util.Map.of("y", "1", "x", "1"), plain(map(base + "c: {<<: *a}\n").get("c")));
        Mapping c = (Mapping) map(base + "c:\n  w: 0\n  <<: *a\n").get("c");
        assertEquals(List.of("w", "x", "y"), c.entries().stream().map(e -> e.key().value()).toList(), "'<<' itself is not a key");
        assertEquals("<<", str(map("c: {\"<<\": 1}\n").get("c") instanceof Mapping q ? q.entries().get(0).key() : null), "quoted, it is a key");
    }

    @Test
    void aMergeOfSomethingElseThanMappingsIsRefused() {
        YamlException e = fails("a: &a [1]\nb:\n  <<: *a\n");
        assertEquals(3, e.line());
        assertEquals(7, e.column());
        assertTrue(e.getMessage().contains("'<<' merges mappings"), e.getMessage());
        assertTrue(fails("a: &a 1\nb:\n  <<: [*a]\n").getMessage().contains("'<<' merges mappings"));
        assertTrue(fails("b:\n  <<:\n").getMessage().contains("'<<' merges mappings"));
        assertTrue(fails("b:\n  <<: {x: 1}\n  <<: {y: 1}\n").getMessage().contains("duplicate key '<<'"));
    }

    @Test
    void standardTagsDecideTheType() throws Exception {
        Mapping m = map("i: !!int \"0\"\ns: !!str 0\nb: !!bool 'true'\nn: !!null ''\nf: !!float 1\nm: !!map {k: v}\nq: !!seq [x]\n"
                + "t: !!str\nbare: ! 0\nverbatim: !<tag:yaml.org,2002:str> 1\nboth: &a !!str 2\nback: !!int &c 3\n");
        assertEquals(0L, ((Scalar) m.get("i")).asInteger());
        assertTrue(((Scalar) m.get("s")).isText());
        assertEquals(null, ((Scalar) m.get("s")).asInteger());
        assertEquals(Boolean.TRUE, ((Scalar) m.get("b")).asBoolean());
        assertTrue(((Scalar) m.get("n")).isNull());
        assertEquals("number", ((Scalar) m.get("f")).yamlType());
        assertEquals(java.util.Map.of("k", "v"), plain(m.get("m")));
        assertEquals(List.of("x"), plain(m.get("q")));
        assertTrue(((Scalar) m.get("t")).isText());
        assertEquals("", str(m.get("t")));
        assertEquals(0L, ((Scalar) m.get("bare")).asInteger(), "'!' alone: yaml.v3 read the value as untagged");
        assertTrue(((Scalar) m.get("verbatim")).isText());
        assertTrue(((Scalar) m.get("both")).isText());
        assertEquals(3L, ((Scalar) m.get("back")).asInteger());
        Mapping block = map("k: !!map\n  a: 1\nl: !!seq\n- x\n");
        assertEquals(java.util.Map.of("a", "1"), plain(block.get("k")));
        assertEquals(List.of("x"), plain(block.get("l")));
    }

    @Test
    void aTagThatDoesNotFitItsValueIsRefused() {
        YamlException e = fails("v: 0\nk: !!int abc\n");
        assertEquals(2, e.line());
        assertEquals(4, e.column());
        assertTrue(e.getMessage().contains("the tag !!int needs a whole number such as 0, not 'abc'"), e.getMessage());
        assertTrue(fails("k: !!int 0.5\n").getMessage().contains("!!int"));
        assertTrue(fails("k: !!int\n").getMessage().contains("!!int"));
        assertTrue(fails("k: !!bool yes\n").getMessage().contains("true or false"));
        assertTrue(fails("k: !!null x\n").getMessage().contains("!!null"));
        assertTrue(fails("k: !!map x\n").getMessage().contains("!!map needs a mapping"));
        assertTrue(fails("k: !!seq {a: 1}\n").getMessage().contains("!!seq needs a list"));
        assertTrue(fails("k: !!str [a]\n").getMessage().contains("!!str"));
    }

    @Test
    void otherTagsAreRefusedWithTheOnesThatWork() {
        for (String v : List.of("!foo x", "!!binary aGk=", "!!timestamp 2024-01-01", "!important note", "!e!x 1")) {
            YamlException e = fails("k: " + v + "\n");
            assertEquals(4, e.column(), v);
            assertTrue(e.getMessage().contains("is not one a Spacefile can use: write one of !!str, !!int"), e.getMessage());
        }
    }

    @Test
    void keysTakeNoAnchorTagOrAlias() {
        YamlException e = fails("micros:\n  - &api name: api\n");
        assertEquals(2, e.line());
        assertEquals(5, e.column());
        assertTrue(e.getMessage().contains("end a line with it ('- &api')"), e.getMessage());
        assertTrue(fails("a: 1\n&k b: 2\n").getMessage().contains("a key takes no anchor"));
        assertTrue(fails("a: 1\n!!str b: 2\n").getMessage().contains("a key takes no tag"));
        assertTrue(fails("a: {&k b: 1}\n").getMessage().contains("a key takes no anchor"));
        assertTrue(fails("a: &x k\nb: {*x : 1}\n").getMessage().contains("a key cannot be an alias"));
    }

    @Test
    void unknownAndSelfContainedAliasesAreRefused() {
        YamlException e = fails("a: 1\nb: *x\n");
        assertEquals(2, e.line());
        assertEquals(4, e.column());
        assertTrue(e.getMessage().contains("no anchor &x comes before the alias *x"), e.getMessage());
        assertTrue(fails("a: *x\nb: &x 1\n").getMessage().contains("no anchor &x"), "an alias looks back only");
        assertTrue(fails("a: &a [1, *a]\n").getMessage().contains("would contain itself"));
        assertTrue(fails("a: &a\n  b: *a\n").getMessage().contains("would contain itself"));
        assertTrue(fails("a: &a &b 1\n").getMessage().contains("one anchor"));
        assertTrue(fails("a: & x\n").getMessage().contains("a value starting with & must be quoted"));
    }

    @Test
    void aliasesThatExplodeAreOneSentenceAtTheAlias() {
        // the "billion laughs": nine times nine times ... copies of one list
        StringBuilder doc = new StringBuilder("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (char c = 'b'; c <= 'i'; c++) {
            String prev = "*" + (char) (c - 1);
            doc.append(c).append(": &").append(c).append(" [").append(String.join(", ", java.util.Collections.nCopies(9, prev))).append("]\n");
        }
        YamlException e = assertTimeoutPreemptively(java.time.Duration.ofMinutes(1), () -> fails(doc.toString()));
        assertEquals(5, e.line(), e.getMessage());
        assertTrue(e.getMessage().matches("the aliases make this document larger than 10000 nodes \\(a \"billion laughs\"\\): [^.]*"), e.getMessage());
        // a deep node repeated deeper still is refused by depth
        String deep = "a: &d " + "[".repeat(60) + "]".repeat(60) + "\nb: " + "[".repeat(10) + "*d" + "]".repeat(10) + "\n";
        assertTrue(fails(deep).getMessage().contains("nests more than 64 levels"));
    }

    @Test
    void onlyTheFirstDocumentIsRead() throws Exception {
        assertEquals("0", str(map("v: 0\n---\nv: 1\n").get("v")));
        assertEquals("0", str(map("v: 0\n...\nv: 1\n").get("v")));
        assertEquals("0", str(map("---\nv: 0\n--- # the second\n\tnot: [yaml\n").get("v")), "not even read, as by yaml.v3");
        assertEquals("0", str(map("v: 0\n... \"anything\"\n").get("v")));
    }

    @Test
    void aNodeMayStartOnTheLineOfTheFirstMarker() throws Exception {
        assertEquals("0", str(map("--- {v: 0}\n").get("v")));
        assertEquals("0", str(map("--- !!map\nv: 0\n").get("v")));
        assertEquals("x\n", str(YamlParser.parse("--- |\n  x\n")));
        assertEquals(2, fails("--- v: 0\nmicros: []\n").line(), "a mapping there cannot go on below");
    }

    // ---- what Space's reader refused ----

    @Test
    void aTabInTheIndentationOfAnEmptyLineIsRefused() {
        YamlException e = fails("v: \"0\"\n\t\nmicros: []\n");
        assertEquals(2, e.line());
        assertEquals(1, e.column());
        assertTrue(e.getMessage().contains("a tab in the indentation of an empty or comment line")
                && e.getMessage().contains("found character that cannot start any token"), e.getMessage());
        assertEquals(3, fails("v: \"0\"\n  \t  \nmicros: []\n").column(), "after spaces too");
        assertTrue(fails("v: 0\n\t\nmicros: []\n").getMessage().contains("found a tab character that violates indentation"));
        assertEquals(3, fails("v: 0\nmicros:\n\t# a comment\n  - x\n").line());
        assertEquals(1, fails("\t\nv: 0\n").line());
        assertEquals(3, fails("run: |\n  x\n\t\n  y\n").line());
        assertEquals(2, fails("run: |\n\t\n  y\n").line());
    }

    @Test
    void tabsWhereYamlAllowsThemStay() throws Exception {
        assertEquals("a\n\t\nb\n", str(map("run: |\n  a\n  \t\n  b\n").get("run")), "past the block's indentation a tab is text");
        assertEquals(List.of("a", "b"), plain(map("l: [a,\n\t\n b]\n").get("l")));
        assertEquals("a b", str(map("q: \"a\n\t b\"\n").get("q")));
        assertEquals("a\nb", str(map("k: a\n  \t\n  b\n").get("k")), "inside a plain value, past its indentation");
        assertEquals("x", str(map("k:\tx\n").get("k")));
    }

    @Test
    void aKeyBetweenTheDashAndTheKeysIsToldTheKeysColumn() {
        YamlException e = fails("v: 0\nmicros:\n  - name: a\n   src: .\n");
        assertEquals(4, e.line());
        assertEquals(4, e.column());
        assertTrue(e.getMessage().contains("align it with those keys") && e.getMessage().contains("at column 5"), e.getMessage());
        assertFalse(e.getMessage().contains("column 3;"), e.getMessage());
        assertTrue(fails("micros:\n- name: a\n src: .\n").getMessage().contains("keys of that list item at column 3"));
        // a list item out of line is still told the items' column
        assertTrue(fails("v: 0\nmicros:\n  - name: a\n   - name: b\n").getMessage().contains("the list items above start at column 3"));
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
