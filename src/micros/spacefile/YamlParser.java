package micros.spacefile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import micros.spacefile.YamlNode.Entry;
import micros.spacefile.YamlNode.Mapping;
import micros.spacefile.YamlNode.Scalar;
import micros.spacefile.YamlNode.Sequence;
import micros.spacefile.YamlNode.Style;

/**
 * The YAML Spacefiles use, as Space's CLI read it with Go's yaml.v3: block mappings and
 * sequences, flow collections, plain, quoted and block scalars, comments, anchors and aliases
 * (copied, so each copy carries the alias's line and column), merge keys ('<<'), the standard
 * tags, and the first document of several. Complex keys, custom tags and properties on keys
 * are refused with a message that says what to write instead.
 */
public final class YamlParser {
    private final String[] text;   // the lines, without line breaks
    private final int[] start;     // column where a line's content starts; -1 for blank and comment lines
    private final int[] tabAt;     // column of the first tab in a line's indentation, or -1
    private int end;               // lines from here on are not part of the document
    private int li;                // the line being read
    private boolean plainHadComment;

    private static final int MAX_DEPTH = 64; // real Spacefiles nest about 6 deep
    private int depth;

    private final YamlAliases aliases = new YamlAliases(MAX_DEPTH);

    public static YamlNode parse(String source) throws YamlException {
        YamlText.check(source);
        return new YamlParser(source).document();
    }

    /** Counts one level of nesting; past MAX_DEPTH the file is refused (no Spacefile nests so deep, and the stack is finite). */
    private void enter(int line, int col) throws YamlException {
        if (++depth > MAX_DEPTH)
            throw error(line, col, "the YAML nests more than " + MAX_DEPTH + " levels deep here: a Spacefile nests a few levels, so this is not one");
    }

    private YamlParser(String source) {
        if (source.startsWith("\uFEFF")) source = source.substring(1);
        String[] lines = source.split("\n", -1);
        // a final line break ends the last line; it does not start an empty one
        int count = lines.length > 1 && lines[lines.length - 1].isEmpty() ? lines.length - 1 : lines.length;
        text = java.util.Arrays.copyOf(lines, count);
        start = new int[text.length];
        tabAt = new int[text.length];
        for (int i = 0; i < text.length; i++) {
            String s = text[i];
            if (s.endsWith("\r")) text[i] = s = s.substring(0, s.length() - 1);
            int j = 0, tab = -1;
            while (j < s.length() && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) {
                if (s.charAt(j) == '\t' && tab < 0) tab = j;
                j++;
            }
            tabAt[i] = tab;
            start[i] = (j == s.length() || s.charAt(j) == '#') ? -1 : j;
        }
        end = text.length;
    }

    private YamlNode document() throws YamlException {
        int first = 0;
        while (first < end && start[first] < 0) first++;
        if (first < end && text[first].startsWith("%"))
            throw error(first, 0, "YAML directives (%) are not supported in a Spacefile: remove this line");
        if (first < end && isMarker(first, "---")) {
            int p = skipSpaces(text[first], 3); // a node may start on the marker's line: '--- !!map', '--- {v: 0, …}'
            start[first] = p < text[first].length() && text[first].charAt(p) != '#' ? p : -1;
        }
        // Space's CLI read the first document only (yaml.v3's Unmarshal): what follows a
        // second '---' or a '...' is not read at all, as there
        for (int j = first + 1; j < end; j++) {
            if (isMarker(j, "---") || isMarker(j, "...")) {
                end = j;
                break;
            }
        }
        li = 0;
        skipBlank();
        if (li >= end) return new Scalar("", Style.PLAIN, 1, 1);
        int rootIndent = col(li);
        YamlNode root = blockNode(-1);
        skipBlank();
        if (li < end)
            throw error(li, col(li), "inconsistent indentation: this line starts at column " + (col(li) + 1)
                    + " but the document's first line starts at column " + (rootIndent + 1));
        return root;
    }

    // ---- block structure ----

    private YamlNode blockNode(int parentIndent) throws YamlException {
        enter(li, col(li));
        try {
            return blockNodeAt(parentIndent);
        } finally {
            depth--;
        }
    }

    private YamlNode blockNodeAt(int parentIndent) throws YamlException {
        int c = col(li);
        String s = text[li];
        if (s.charAt(c) == '&' || s.charAt(c) == '!') return withProperties(li, c, parentIndent, false);
        if (s.charAt(c) == '?' && (c + 1 == s.length() || isBlank(s.charAt(c + 1))))
            throw error(li, c, "complex keys ('? ') are not supported: write 'key: value'");
        if (isSequenceItem(li, c)) return sequence(c, false);
        if (keyAt(li, c) != null) return mapping(c);
        return inlineValue(li, c, parentIndent);
    }

    private Mapping mapping(int n) throws YamlException {
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        YamlNode merge = null;
        int line0 = li;
        while (true) {
            skipBlank();
            if (li >= end) break;
            int c = col(li);
            if (c < n) break;
            if (c > n)
                throw error(li, c, "inconsistent indentation: this line starts at column " + (c + 1)
                        + " but the keys above it start at column " + (n + 1) + "; align it with them");
            if (isSequenceItem(li, c))
                throw error(li, c, "a list item ('- ') cannot stand among keys: indent it under the key it belongs to");
            Key k = keyAt(li, c);
            if (k == null)
                throw error(li, c, text[li].indexOf(':', c) > 0
                        ? "expected 'key: value' here: YAML needs a space after ':'"
                        : "expected 'key: value' here; indent this line under the key it belongs to, or add the missing key");
            Integer firstLine = seen.putIfAbsent(k.key.value(), k.key.line());
            if (firstLine != null)
                throw error(li, c, "duplicate key '" + k.key.value() + "' (first at line " + firstLine + "): remove one of them");
            YamlNode value = mapValue(n, li, k.afterColon);
            if (YamlAliases.isMergeKey(k.key)) merge = value;
            else entries.add(new Entry(k.key, value));
        }
        return new Mapping(merged(entries, merge), line0 + 1, n + 1);
    }

    private YamlNode mapValue(int n, int line, int afterColon) throws YamlException {
        String s = text[line];
        int p = skipSpaces(s, afterColon);
        if (p < s.length() && (s.charAt(p) == '&' || s.charAt(p) == '!')) return withProperties(line, p, n, true);
        if (p < s.length() && s.charAt(p) != '#') return inlineValue(line, p, n);
        return below(n, line, afterColon, true);
    }

    /**
     * The node that starts on the lines after this one, deeper than column n (or, for a key's
     * value, a list at column n); an empty value at column col of this line when there is none.
     */
    private YamlNode below(int n, int line, int col, boolean keyValue) throws YamlException {
        li = line + 1;
        skipBlank();
        if (li < end) {
            int c = col(li);
            if (c > n) return blockNode(n);
            if (keyValue && c == n && isSequenceItem(li, c)) return sequence(n, true);
        }
        return new Scalar("", Style.PLAIN, line + 1, col + 1);
    }

    private Sequence sequence(int n, boolean atKeyColumn) throws YamlException {
        List<YamlNode> items = new ArrayList<>();
        int line0 = li;
        while (true) {
            skipBlank();
            if (li >= end) break;
            int c = col(li);
            if (c < n) break;
            if (c > n) {
                // a key between the '-' and the keys of the item above belongs with those keys
                if (!items.isEmpty() && items.get(items.size() - 1) instanceof Mapping m && c + 1 < m.column()
                        && !isSequenceItem(li, c) && keyAt(li, c) != null)
                    throw error(li, c, "inconsistent indentation: this key starts at column " + (c + 1) + ", between the '-' at column "
                            + (n + 1) + " and the keys of that list item at column " + m.column() + "; align it with those keys");
                throw error(li, c, "inconsistent indentation: this line starts at column " + (c + 1)
                        + " but the list items above start at column " + (n + 1) + "; align it with them");
            }
            if (!isSequenceItem(li, c)) {
                if (atKeyColumn) break;
                throw error(li, c, "expected a list item ('- ') at column " + (n + 1) + " like the lines above");
            }
            String s = text[li];
            int p = skipSpaces(s, c + 1);
            if (p >= s.length() || s.charAt(p) == '#') {
                int itemLine = li;
                li++;
                skipBlank();
                if (li < end && col(li) > n) items.add(blockNode(n));
                else items.add(new Scalar("", Style.PLAIN, itemLine + 1, c + 2));
            } else {
                start[li] = p; // the item's content starts after "- " on this same line
                items.add(blockNode(n));
            }
        }
        return new Sequence(List.copyOf(items), line0 + 1, n + 1);
    }

    private boolean isSequenceItem(int line, int c) throws YamlException {
        String s = text[line];
        if (s.charAt(c) != '-') return false;
        if (c + 1 == s.length() || s.charAt(c + 1) == ' ') return true;
        if (s.charAt(c + 1) == '\t') throw error(line, c + 1, "indentation must use spaces, not tabs: put a space after '-'");
        return false;
    }

    private record Key(Scalar key, int afterColon) {}

    /** The key of a "key: value" line starting at column c, or null when the line is not one. */
    private Key keyAt(int line, int c) throws YamlException {
        String s = text[line];
        char ch = s.charAt(c);
        if (ch == '"' || ch == '\'') {
            Cursor cur = new Cursor(line, c);
            int close = closingQuoteOnLine(s, c);
            if (close < 0) return null;
            int p = skipSpaces(s, close + 1);
            if (p < s.length() && s.charAt(p) == ':' && (p + 1 == s.length() || isBlank(s.charAt(p + 1)))) {
                Scalar key = quoted(cur);
                return new Key(key, p + 1);
            }
            return null;
        }
        if (ch == '[' || ch == '{') return null;
        for (int i = c; i < s.length(); i++) {
            char x = s.charAt(i);
            if (x == '#' && i > c && isBlank(s.charAt(i - 1))) return null;
            if (x == ':' && (i + 1 == s.length() || isBlank(s.charAt(i + 1)))) {
                String key = s.substring(c, i).strip();
                if (key.isEmpty()) throw error(line, c, "a key is missing before ':'");
                if (ch == '?' && (key.length() == 1 || isBlank(key.charAt(1))))
                    throw error(line, c, "complex keys ('? ') are not supported: write 'key: value'");
                refuseIndicator(line, c, ch, "key");
                return new Key(new Scalar(key, Style.PLAIN, line + 1, c + 1), i + 1);
            }
        }
        return null;
    }

    private static int closingQuoteOnLine(String s, int open) {
        char q = s.charAt(open);
        for (int i = open + 1; i < s.length(); i++) {
            char x = s.charAt(i);
            if (q == '"' && x == '\\') i++;
            else if (x == q) {
                if (q == '\'' && i + 1 < s.length() && s.charAt(i + 1) == '\'') i++;
                else return i;
            }
        }
        return -1;
    }

    // ---- anchors, aliases, tags and merge keys, as yaml.v3 read them ----

    /** An anchor (&name) and a tag (!!type) before a node, either one null; end is the column after them and their spaces. */
    private record Props(String anchor, String tag, int line, int tagColumn, int end) {}

    /**
     * A node whose anchor or tag starts at column p: its value follows on the same line or, when
     * nothing does, on the lines below, deeper than column n (or, for a key's value, a list at n).
     */
    private YamlNode withProperties(int line, int p, int n, boolean keyValue) throws YamlException {
        Props props = properties(line, p, false);
        String s = text[line];
        int q = props.end();
        if (props.anchor() != null) aliases.begin(props.anchor());
        YamlNode node;
        if (q >= s.length() || s.charAt(q) == '#') node = below(n, line, q, keyValue);
        else {
            if (s.charAt(q) == '*') throw error(line, q, "an alias takes no anchor or tag of its own: remove what stands before it");
            if (isSequenceItem(line, q))
                throw error(line, q, "a list cannot start on the same line as its anchor or tag: put each '- item' on its own line below it");
            if (!keyValue && keyAt(line, q) != null)
                throw error(line, p, "'" + s.substring(p, q).strip() + "' before a key would belong to the key, and a Spacefile's keys take"
                        + " no anchor or tag: to give it to the mapping, end a line with it ('- " + s.substring(p, q).strip() + "') and write the keys below");
            node = inlineValue(line, q, n);
        }
        return finish(props, node);
    }

    /** Reads an anchor and a tag, in either order, starting at column p of the line. */
    private Props properties(int line, int p, boolean flow) throws YamlException {
        String s = text[line];
        String anchor = null, tag = null;
        int i = p, tagColumn = -1;
        while (i < s.length() && (s.charAt(i) == '&' || s.charAt(i) == '!')) {
            if (s.charAt(i) == '&') {
                if (anchor != null) throw error(line, i, "a value takes one anchor: remove one of them");
                int e = nameEnd(s, i + 1);
                if (e == i + 1 || !endsToken(s, e, flow))
                    throw error(line, i, "a value starting with & must be quoted (YAML reads & as an anchor, named with letters, digits, '-' and '_')");
                anchor = s.substring(i + 1, e);
                i = e;
            } else {
                if (tagColumn >= 0) throw error(line, i, "a value takes one tag: remove one of them");
                int e = i + 1;
                if (s.startsWith("!<", i)) {
                    e = s.indexOf('>', i);
                    e = e < 0 ? s.length() : e + 1;
                }
                while (e < s.length() && !isBlank(s.charAt(e)) && !(flow && ",[]{}".indexOf(s.charAt(e)) >= 0)) e++;
                String written = s.substring(i, e);
                tag = written.startsWith("!<tag:yaml.org,2002:") && written.endsWith(">")
                        ? "!!" + written.substring(20, written.length() - 1) : written;
                if (tag.equals("!")) tag = null; // the non-specific tag: yaml.v3 read the value as if untagged
                else if (!YamlResolver.TAGS.contains(tag))
                    throw error(line, i, "the tag " + written + " is not one a Spacefile can use: write one of " + String.join(", ", YamlResolver.TAGS)
                            + ", or remove it (quote the value if ! is part of it)");
                tagColumn = i;
                i = e;
            }
            i = skipSpaces(s, i);
        }
        return new Props(anchor, tag, line, tagColumn, i);
    }

    private static int nameEnd(String s, int i) {
        while (i < s.length() && isAnchorChar(s.charAt(i))) i++;
        return i;
    }

    /** yaml.v3's anchor names: ASCII letters, digits, '-' and '_'. */
    private static boolean isAnchorChar(char c) {
        return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '-';
    }

    private static boolean endsToken(String s, int i, boolean flow) {
        return i == s.length() || isBlank(s.charAt(i)) || flow && ",]}".indexOf(s.charAt(i)) >= 0;
    }

    /** Applies the tag to the node just read and names it by its anchor. */
    private YamlNode finish(Props props, YamlNode node) throws YamlException {
        if (props.tag() != null) {
            String needs = YamlResolver.needs(props.tag(), node);
            if (needs != null) {
                String got = node instanceof Scalar s ? "'" + s.value() + "'" : node.describe();
                throw error(props.line(), props.tagColumn(), "the tag " + props.tag() + " needs " + needs + ", not " + got + ": fix the value or remove the tag");
            }
            if (node instanceof Scalar s) node = new Scalar(s.value(), s.style(), s.line(), s.column(), props.tag());
        }
        if (props.anchor() != null) aliases.name(props.anchor(), node);
        return node;
    }

    /** The node an alias (*name) at the cursor names, copied with the alias's line and column; moves the cursor past it. */
    private YamlNode alias(Cursor cur, boolean flow) throws YamlException {
        String s = text[cur.line];
        int e = nameEnd(s, cur.col + 1);
        if (e == cur.col + 1 || !endsToken(s, e, flow))
            throw error(cur.line, cur.col, "a value starting with * must be quoted (YAML reads * as an alias), for example \"* * * * *\"");
        YamlNode copy = aliases.alias(s.substring(cur.col + 1, e), cur.line, cur.col, depth);
        cur.col = e;
        return copy;
    }

    /** The entries with those of the merge key's value (null when there was none). */
    private List<Entry> merged(List<Entry> own, YamlNode merge) throws YamlException {
        // '<<: [*a, *b]' lists mappings; '<<: *list' named a list, which yaml.v3 refused
        boolean listInPlace = merge instanceof Sequence && text[merge.line() - 1].charAt(merge.column() - 1) != '*';
        return YamlAliases.merged(own, merge, listInPlace);
    }

    // ---- values that start on a line ----

    private YamlNode inlineValue(int line, int p, int n) throws YamlException {
        String s = text[line];
        char ch = s.charAt(p);
        switch (ch) {
            case '|', '>' -> {
                return blockScalar(line, p, n);
            }
            case '"', '\'' -> {
                Cursor cur = new Cursor(line, p);
                Scalar v = quoted(cur);
                requireNothingAfter(cur.line, cur.col, "the closing quote");
                li = cur.line + 1;
                return v;
            }
            case '[', '{' -> {
                Cursor cur = new Cursor(line, p);
                YamlNode v = flowNode(cur);
                requireNothingAfter(cur.line, cur.col, "'" + (ch == '[' ? ']' : '}') + "'");
                li = cur.line + 1;
                return v;
            }
            case '*' -> {
                Cursor cur = new Cursor(line, p);
                YamlNode v = alias(cur, false);
                requireNothingAfter(cur.line, cur.col, "the alias");
                li = line + 1;
                return v;
            }
            case '-' -> {
                if (p + 1 == s.length() || isBlank(s.charAt(p + 1)))
                    throw error(line, p, "a list cannot start on the same line as its key: put each '- item' on its own line below the key");
            }
            default -> { }
        }
        refuseIndicator(line, p, ch, "value");
        return plain(line, p, n);
    }

    private void refuseIndicator(int line, int p, char ch, String what) throws YamlException {
        switch (ch) {
            case '*' -> throw error(line, p, "a " + what + " starting with * must be quoted (YAML reads * as an alias), for example \"* * * * *\"");
            case '&', '!' -> throw error(line, p, what.equals("key")
                    ? "a key takes no " + (ch == '&' ? "anchor (&)" : "tag (!)") + ": a Spacefile's keys are plain names; remove it, or quote the key if " + ch + " is part of it"
                    : "a value starting with " + ch + " must be quoted (YAML reads " + ch + " as " + (ch == '&' ? "an anchor" : "a tag") + ")");
            case '@', '`', '%', ',', ']', '}', '|', '>' ->
                    throw error(line, p, "a " + what + " cannot start with '" + ch + "' unless it is quoted: put it in quotes");
            default -> { }
        }
    }

    private Scalar plain(int line, int p, int n) throws YamlException {
        StringBuilder sb = new StringBuilder(plainLine(line, p));
        li = line + 1;
        int breaks = 0;
        while (!plainHadComment && li < end) {
            String t = text[li];
            if (t.isBlank()) {
                if (tabAt[li] >= 0 && tabAt[li] <= n) throw tabInEmptyLine(li, "found a tab character that violates indentation");
                breaks++;
                li++;
                continue;
            }
            int c = col(li);
            if (c < 0 || c <= n) break;
            if (t.charAt(c) == '#') break;
            if (keyAt(li, c) != null)
                throw error(li, c, "inconsistent indentation: this key starts at column " + (c + 1)
                        + ", deeper than the line above it; align it with the keys it belongs with");
            String part = plainLine(li, c);
            sb.append(breaks == 0 ? " " : "\n".repeat(breaks)).append(part);
            breaks = 0;
            li++;
        }
        return new Scalar(sb.toString(), Style.PLAIN, line + 1, p + 1);
    }

    /** One line of a plain scalar from column p: up to a comment, trimmed; refuses ": " inside. */
    private String plainLine(int line, int p) throws YamlException {
        String s = text[line];
        plainHadComment = false;
        int stop = s.length();
        for (int i = p; i < s.length(); i++) {
            char x = s.charAt(i);
            if (x == '#' && i > p && isBlank(s.charAt(i - 1))) {
                stop = i;
                plainHadComment = true;
                break;
            }
            if (x == ':' && (i + 1 == s.length() || isBlank(s.charAt(i + 1))))
                throw error(line, i, "a value containing ': ' must be quoted (or, if this line is a key, fix its indentation)");
        }
        return s.substring(p, stop).strip();
    }

    private Scalar blockScalar(int line, int p, int n) throws YamlException {
        String s = text[line];
        boolean literal = s.charAt(p) == '|';
        int chomp = 0, explicit = 0, i = p + 1;
        for (int k = 0; k < 2 && i < s.length(); k++, i++) {
            char x = s.charAt(i);
            if ((x == '-' || x == '+') && chomp == 0) chomp = x == '-' ? -1 : 1;
            else if (x >= '1' && x <= '9' && explicit == 0) explicit = x - '0';
            else break;
        }
        int q = skipSpaces(s, i);
        if (q < s.length() && !(s.charAt(q) == '#' && q > i))
            throw error(line, i, "after '" + s.charAt(p) + "' only '-', '+', an indentation digit or a comment may follow: start the text on the next line");
        int indent;
        int ln = line + 1;
        if (explicit > 0) {
            indent = Math.max(n, 0) + explicit;
        } else {
            int k = ln;
            for (; k < end && text[k].isBlank(); k++) // yaml.v3 allows no tab before the first line gives the indentation
                if (tabAt[k] >= 0) throw tabInEmptyLine(k, "found a tab character where an indentation space is expected");
            int c = k < end ? leadingSpaces(text[k]) : -1;
            indent = c > n ? c : -1;
        }
        List<String> lines = new ArrayList<>();
        if (indent > 0 || (indent == 0 && n < 0)) {
            while (ln < end) {
                String t = text[ln];
                if (t.isBlank() && tabAt[ln] >= 0 && tabAt[ln] < indent)
                    throw tabInEmptyLine(ln, "found a tab character where an indentation space is expected");
                if (t.isBlank()) lines.add(t.length() > indent ? t.substring(indent) : "");
                else if (leadingSpaces(t) >= indent) lines.add(t.substring(indent));
                else break;
                ln++;
            }
        }
        li = ln;
        int last = lines.size() - 1;
        while (last >= 0 && lines.get(last).isBlank()) last--;
        int trailing = lines.size() - 1 - last;
        String body = literal ? String.join("\n", lines.subList(0, last + 1)) : fold(lines.subList(0, last + 1));
        String value;
        if (chomp < 0 || last < 0 && chomp == 0) value = body;
        else if (chomp == 0) value = body + "\n";
        else value = body + "\n".repeat(last < 0 ? trailing : trailing + 1);
        return new Scalar(value, literal ? Style.LITERAL : Style.FOLDED, line + 1, p + 1);
    }

    /** Folding of a '>' scalar: single breaks between plain lines become spaces. */
    private static String fold(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        int empties = 0;
        boolean started = false, prevMore = false;
        for (String l : lines) {
            if (l.isBlank()) {
                empties++;
                continue;
            }
            boolean more = l.startsWith(" ") || l.startsWith("\t");
            if (!started) sb.append("\n".repeat(empties));
            else if (!more && !prevMore) sb.append(empties == 0 ? " " : "\n".repeat(empties));
            else sb.append("\n".repeat(empties + 1));
            sb.append(l);
            started = true;
            prevMore = more;
            empties = 0;
        }
        return sb.toString();
    }

    // ---- quoted scalars and flow collections, read with a cursor that may cross lines ----

    private static final class Cursor {
        int line, col;

        Cursor(int line, int col) {
            this.line = line;
            this.col = col;
        }
    }

    private Scalar quoted(Cursor cur) throws YamlException {
        int line0 = cur.line, col0 = cur.col;
        char q = text[cur.line].charAt(cur.col);
        StringBuilder sb = new StringBuilder();
        int protectedLength = 0; // text up to here came from escapes and is never trimmed
        String s = text[cur.line];
        int i = cur.col + 1;
        while (true) {
            if (i >= s.length()) {
                int len = sb.length();
                while (len > protectedLength && isBlank(sb.charAt(len - 1))) len--;
                sb.setLength(len);
                int breaks = 0;
                do {
                    cur.line++;
                    if (cur.line >= end)
                        throw error(line0, col0, "unclosed quote: this " + q + " has no closing " + q);
                    breaks++;
                } while (text[cur.line].isBlank());
                sb.append(breaks == 1 ? " " : "\n".repeat(breaks - 1));
                s = text[cur.line];
                i = skipSpaces(s, 0);
                continue;
            }
            char x = s.charAt(i);
            if (x == q) {
                if (q == '\'' && i + 1 < s.length() && s.charAt(i + 1) == '\'') {
                    sb.append('\'');
                    i += 2;
                    continue;
                }
                cur.col = i + 1;
                return new Scalar(sb.toString(), q == '"' ? Style.DOUBLE_QUOTED : Style.SINGLE_QUOTED, line0 + 1, col0 + 1);
            }
            if (x == '\\' && q == '"') {
                if (i + 1 >= s.length()) { // an escaped line break joins the lines without a space
                    cur.line++;
                    if (cur.line >= end) throw error(line0, col0, "unclosed quote: this \" has no closing \"");
                    s = text[cur.line];
                    i = skipSpaces(s, 0);
                    protectedLength = sb.length();
                    continue;
                }
                i = escape(s, i, cur.line, sb);
                protectedLength = sb.length();
                continue;
            }
            sb.append(x);
            i++;
        }
    }

    /** Appends the escape starting at the backslash at i; returns the index after it. */
    private int escape(String s, int i, int line, StringBuilder sb) throws YamlException {
        char e = s.charAt(i + 1);
        int hex = 0;
        switch (e) {
            case '0' -> sb.append('\0');
            case 'a' -> sb.append('\u0007');
            case 'b' -> sb.append('\b');
            case 't', '\t' -> sb.append('\t');
            case 'n' -> sb.append('\n');
            case 'v' -> sb.append('\u000B');
            case 'f' -> sb.append('\f');
            case 'r' -> sb.append('\r');
            case 'e' -> sb.append('\u001B');
            case ' ' -> sb.append(' ');
            case '"' -> sb.append('"');
            case '/' -> sb.append('/');
            case '\\' -> sb.append('\\');
            case 'N' -> sb.append('\u0085');
            case '_' -> sb.append('\u00A0');
            case 'L' -> sb.append('\u2028');
            case 'P' -> sb.append('\u2029');
            case 'x' -> hex = 2;
            case 'u' -> hex = 4;
            case 'U' -> hex = 8;
            default -> throw error(line, i, "unknown escape '\\" + e + "' in a double-quoted string: write \\\\ for a backslash, or use single quotes");
        }
        if (hex == 0) return i + 2;
        int from = i + 2, to = from + hex;
        if (to > s.length() || !s.substring(from, to).matches("[0-9A-Fa-f]+"))
            throw error(line, i, "'\\" + e + "' needs " + hex + " hexadecimal digits");
        int code = (int) Long.parseLong(s.substring(from, to), 16);
        if (!Character.isValidCodePoint(code)) throw error(line, i, "'\\" + e + "' is not a valid character code");
        sb.appendCodePoint(code);
        return to;
    }

    private YamlNode flowNode(Cursor cur) throws YamlException {
        enter(cur.line, cur.col);
        try {
            return flowNodeAt(cur);
        } finally {
            depth--;
        }
    }

    private YamlNode flowNodeAt(Cursor cur) throws YamlException {
        skipFlowSpace(cur, null);
        char ch = text[cur.line].charAt(cur.col);
        if (ch == '&' || ch == '!') {
            Props props = properties(cur.line, cur.col, true);
            cur.col = props.end();
            if (props.anchor() != null) aliases.begin(props.anchor());
            skipFlowSpace(cur, null);
            char next = text[cur.line].charAt(cur.col);
            if (next == '*' || next == '&' || next == '!')
                throw error(cur.line, cur.col, "a value takes one anchor and one tag, and an alias none: remove what stands before it");
            YamlNode node = next == ',' || next == ']' || next == '}' || next == ':'
                    ? new Scalar("", Style.PLAIN, cur.line + 1, cur.col + 1) : flowNodeAt(cur);
            return finish(props, node);
        }
        if (ch == '*') return alias(cur, true);
        if (ch == '[') return flowSequence(cur);
        if (ch == '{') return flowMapping(cur);
        if (ch == '"' || ch == '\'') return quoted(cur);
        refuseIndicator(cur.line, cur.col, ch, "value");
        String s = text[cur.line];
        int i = cur.col;
        while (i < s.length()) {
            char x = s.charAt(i);
            if (x == ',' || x == '[' || x == ']' || x == '{' || x == '}') break;
            if (x == ':' && (i + 1 == s.length() || isBlank(s.charAt(i + 1)) || ",[]{}".indexOf(s.charAt(i + 1)) >= 0)) break;
            if (x == '#' && isBlank(s.charAt(i - 1))) break;
            i++;
        }
        Scalar v = new Scalar(s.substring(cur.col, i).strip(), Style.PLAIN, cur.line + 1, cur.col + 1);
        cur.col = i;
        return v;
    }

    private Sequence flowSequence(Cursor cur) throws YamlException {
        Cursor open = new Cursor(cur.line, cur.col);
        cur.col++;
        List<YamlNode> items = new ArrayList<>();
        while (true) {
            skipFlowSpace(cur, open);
            char ch = text[cur.line].charAt(cur.col);
            if (ch == ']') {
                cur.col++;
                return new Sequence(List.copyOf(items), open.line + 1, open.col + 1);
            }
            items.add(flowNode(cur));
            skipFlowSpace(cur, open);
            ch = text[cur.line].charAt(cur.col);
            if (ch == ',') cur.col++;
            else if (ch != ']')
                throw error(cur.line, cur.col, "expected ',' or ']' in this list (started at line " + (open.line + 1) + "); quote items that contain '" + ch + "'");
        }
    }

    private Mapping flowMapping(Cursor cur) throws YamlException {
        Cursor open = new Cursor(cur.line, cur.col);
        cur.col++;
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        YamlNode merge = null;
        while (true) {
            skipFlowSpace(cur, open);
            char ch = text[cur.line].charAt(cur.col);
            if (ch == '}') {
                cur.col++;
                return new Mapping(merged(entries, merge), open.line + 1, open.col + 1);
            }
            if (ch == '&' || ch == '!' || ch == '*')
                throw error(cur.line, cur.col, ch == '*' ? "a key cannot be an alias: a Spacefile's keys are plain names"
                        : "a key takes no " + (ch == '&' ? "anchor (&)" : "tag (!)") + ": a Spacefile's keys are plain names; remove it, or quote the key if " + ch + " is part of it");
            if (!(flowNode(cur) instanceof Scalar key))
                throw error(cur.line, cur.col, "a key inside { } must be plain text");
            if (seen.putIfAbsent(key.value(), key.line()) != null)
                throw error(key.line() - 1, key.column() - 1, "duplicate key '" + key.value() + "': remove one of them");
            skipFlowSpace(cur, open);
            YamlNode value = new Scalar("", Style.PLAIN, cur.line + 1, cur.col + 1);
            if (text[cur.line].charAt(cur.col) == ':') {
                cur.col++;
                skipFlowSpace(cur, open);
                ch = text[cur.line].charAt(cur.col);
                if (ch != ',' && ch != '}') value = flowNode(cur);
                skipFlowSpace(cur, open);
            }
            if (YamlAliases.isMergeKey(key)) merge = value;
            else entries.add(new Entry(key, value));
            ch = text[cur.line].charAt(cur.col);
            if (ch == ',') cur.col++;
            else if (ch != '}')
                throw error(cur.line, cur.col, "expected ',' or '}' in this mapping (started at line " + (open.line + 1) + ")");
        }
    }

    /** Moves past spaces, line breaks and comments inside a flow collection. */
    private void skipFlowSpace(Cursor cur, Cursor open) throws YamlException {
        while (true) {
            String s = text[cur.line];
            cur.col = skipSpaces(s, cur.col);
            if (cur.col < s.length() && s.charAt(cur.col) != '#') return;
            cur.line++;
            cur.col = 0;
            if (cur.line >= end) {
                Cursor at = open != null ? open : cur;
                char o = open != null ? text[open.line].charAt(open.col) : '[';
                throw error(Math.min(at.line, end - 1), open != null ? at.col : 0,
                        "unclosed '" + o + "': add the closing '" + (o == '[' ? ']' : '}') + "'");
            }
        }
    }

    // ---- small helpers ----

    private void requireNothingAfter(int line, int col, String what) throws YamlException {
        String s = text[line];
        int p = skipSpaces(s, col);
        if (p < s.length() && !(s.charAt(p) == '#' && p > col))
            throw error(line, p, "unexpected text after " + what + ": remove it, or quote the whole value");
    }

    private boolean isMarker(int line, String marker) {
        String s = text[line];
        return s.startsWith(marker) && (s.length() == 3 || isBlank(s.charAt(3)));
    }

    /** Moves past empty and comment lines, refusing a tab in their indentation as yaml.v3 did. */
    private void skipBlank() throws YamlException {
        while (li < end && start[li] < 0) {
            if (tabAt[li] >= 0) throw tabInEmptyLine(li, "found character that cannot start any token");
            li++;
        }
    }

    private YamlException tabInEmptyLine(int line, String theirWords) {
        return error(line, tabAt[line], "a tab in the indentation of an empty or comment line: YAML indents with spaces only"
                + " (Space's reader stopped here: \"" + theirWords + "\"); remove the tab");
    }

    /** The column where the line's content starts; refuses tabs in its indentation. */
    private int col(int line) throws YamlException {
        if (tabAt[line] >= 0 && tabAt[line] < start[line])
            throw error(line, tabAt[line], "indentation must use spaces, not tabs");
        return start[line];
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && isBlank(s.charAt(i))) i++;
        return i;
    }

    private static int leadingSpaces(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == ' ') i++;
        return i;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    private static YamlException error(int line, int col, String message) {
        return new YamlException(line + 1, col + 1, message);
    }
}
