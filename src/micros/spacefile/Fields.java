package micros.spacefile;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import micros.spacefile.YamlNode.Entry;
import micros.spacefile.YamlNode.Mapping;
import micros.spacefile.YamlNode.Scalar;
import micros.spacefile.YamlNode.Sequence;
import micros.util.Words;

/** Typed, schema-style access to a YAML tree that records every problem instead of stopping. */
final class Fields {
    private final String file;
    final List<Problem> problems = new ArrayList<>();

    Fields(String file) {
        this.file = file;
    }

    void error(YamlNode at, String field, String message) {
        problems.add(new Problem(Problem.Severity.ERROR, false, file, at.line(), at.column(), field, message));
    }

    void warning(YamlNode at, String field, String message, boolean blocksRun) {
        problems.add(new Problem(Problem.Severity.WARNING, blocksRun, file, at.line(), at.column(), field, message));
    }

    /** The node as a mapping with only known keys reported; null (and a problem) when it is not a mapping. */
    Mapping object(YamlNode node, String field, List<String> known) {
        if (!(node instanceof Mapping m)) {
            error(node, field, "expected a mapping of keys (" + String.join(", ", known) + "), got " + node.describe());
            return null;
        }
        for (Entry e : m.entries()) {
            String key = e.key().value();
            if (known.contains(key)) continue;
            String hint = misplaced(key, e.value(), known);
            if (hint != null) {
                error(e.key(), join(field, key), "unknown key (" + hint + ")");
                continue;
            }
            String suggestion = Words.closest(key, known);
            error(e.key(), join(field, key), "unknown key" + (suggestion != null ? " (did you mean '" + suggestion + "'?)"
                    : "; known keys here: " + String.join(", ", known)));
        }
        return m;
    }

    /** Keys people bring from other platforms to a micro, and where their meaning goes in a Spacefile; null for others. */
    private static String misplaced(String key, YamlNode value, List<String> known) {
        if (!known.contains("run")) return null; // only a micro's keys
        if (key.equals("command") && value instanceof YamlNode.Scalar)
            return "did you mean 'run'? 'run' is the command that starts the micro; 'commands' are build steps run before it";
        if (key.equals("env") || key.equals("environment"))
            return "a micro's environment variables are declared under presets: 'presets: env: - name: NAME' (with an optional 'default: VALUE');"
                    + " their values come from --env or --env-file";
        return null;
    }

    boolean require(Mapping m, String key, String field, String hint) {
        if (m.entry(key) != null) return true;
        error(m, field, "'" + key + "' is required" + (hint.isEmpty() ? "" : ": " + hint));
        return false;
    }

    /** A text value, or null when absent or of another type (reported). */
    String string(Mapping m, String key, String field) {
        YamlNode n = m.get(key);
        if (n == null) return null;
        return text(n, join(field, key));
    }

    String text(YamlNode n, String field) {
        if (n instanceof Scalar s && s.isText()) return s.value();
        String hint = n instanceof Scalar s && !s.isNull() ? s.tag() != null ? ": remove the tag " + s.tag()
                : ": put it in quotes (\"" + s.value() + "\")" : "";
        error(n, field, "expected text, got " + n.describe() + hint);
        return null;
    }

    Boolean bool(Mapping m, String key, String field) {
        YamlNode n = m.get(key);
        if (n == null) return null;
        if (n instanceof Scalar s && s.asBoolean() != null) return s.asBoolean();
        if (n instanceof Scalar s && "boolean".equals(s.yamlType())) { // yes/no/on/off: a boolean to one YAML reader, text to another
            error(n, join(field, key), "expected true or false, got '" + s.value() + "' (YAML readers disagree on what it means): write true or false");
            return null;
        }
        error(n, join(field, key), "expected true or false, got " + n.describe());
        return null;
    }

    /** A list with at least one item, or null when absent or not a list (reported). */
    Sequence list(Mapping m, String key, String field) {
        YamlNode n = m.get(key);
        if (n == null) return null;
        if (!(n instanceof Sequence s)) {
            error(n, join(field, key), "expected a list ('- item' lines), got " + n.describe());
            return null;
        }
        if (s.items().isEmpty()) {
            error(n, join(field, key), "the list is empty: give at least one item or remove the key");
            return null;
        }
        return s;
    }

    /** A list of texts; when unique, repeated items are reported. */
    List<String> strings(Mapping m, String key, String field, boolean unique, boolean nonEmpty) {
        Sequence s = list(m, key, field);
        if (s == null) return null;
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < s.items().size(); i++) {
            YamlNode item = s.items().get(i);
            String f = join(field, key) + "[" + i + "]";
            String v = text(item, f);
            if (v == null) continue;
            if (nonEmpty && v.isEmpty()) error(item, f, "an empty route matches nothing: remove it or write a path such as \"/public/*\"");
            else if (unique && !seen.add(v)) error(item, f, "'" + v + "' is listed twice: remove one");
            out.add(v);
        }
        return List.copyOf(out);
    }

    static String join(String field, String key) {
        return field.isEmpty() ? key : field + "." + key;
    }
}
