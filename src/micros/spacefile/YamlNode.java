package micros.spacefile;

import java.util.List;

/** A node of the YAML tree, with the 1-based line and column where it starts. */
public sealed interface YamlNode {
    int line();

    int column();

    /** A word for error messages: "a mapping", "a list", "the text 'x'". */
    String describe();

    /** How a scalar was written; only plain (or tagged) scalars are resolved to null, booleans and numbers. */
    enum Style { PLAIN, SINGLE_QUOTED, DOUBLE_QUOTED, LITERAL, FOLDED }

    java.util.regex.Pattern YAML11_BOOL = java.util.regex.Pattern.compile("yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF");
    java.util.regex.Pattern YAML_INT = java.util.regex.Pattern.compile(
            "[-+]?0b[01_]+|[-+]?0o?[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+");
    java.util.regex.Pattern YAML_FLOAT = java.util.regex.Pattern.compile(
            "[-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+]?[0-9]+)?|[-+]?\\.[0-9_]+([eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
    java.util.regex.Pattern YAML11_DATE = java.util.regex.Pattern.compile(
            "[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?([ \\t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?");

    /**
     * A scalar; tag is null, or the standard tag written before it (!!str, !!int, !!float,
     * !!bool or !!null), which decides its type whatever its style.
     */
    record Scalar(String value, Style style, int line, int column, String tag) implements YamlNode {
        public Scalar(String value, Style style, int line, int column) {
            this(value, style, line, column, null);
        }

        /** Read by YAML's rules for plain values: untagged and plain, or tagged with a type other than !!str. */
        private boolean typed() {
            return tag == null ? style == Style.PLAIN : !tag.equals("!!str");
        }

        public boolean isNull() {
            if (tag != null) return tag.equals("!!null");
            return style == Style.PLAIN && (value.isEmpty() || value.equals("~")
                    || value.equals("null") || value.equals("Null") || value.equals("NULL"));
        }

        /** TRUE/FALSE for a YAML 1.2 boolean, else null. */
        public Boolean asBoolean() {
            if (!typed()) return null;
            return switch (value) {
                case "true", "True", "TRUE" -> Boolean.TRUE;
                case "false", "False", "FALSE" -> Boolean.FALSE;
                default -> null;
            };
        }

        /**
         * The whole number Space's YAML reader (Go's yaml.v3) makes of this value, or null:
         * 42, and 0 for "0x0", "0o0", "00", "0.0" or !!int "0" alike.
         */
        public Long asInteger() {
            if (!typed()) return null;
            return YamlResolver.wholeNumber(YamlResolver.resolve(value));
        }

        /** Text to every YAML reader: tagged !!str, quoted or a block, or plain and not a null, boolean, number or date. */
        public boolean isText() {
            if (tag != null) return tag.equals("!!str");
            return style != Style.PLAIN || !(isNull() || yamlType() != null);
        }

        /** A YAML 1.2 number: [-+] digits [. digits] [e [-+] digits], or [-+] . digits. */
        public boolean isNumber() {
            if (!typed() || value.isEmpty()) return false;
            if (tag != null) return tag.equals("!!int") || tag.equals("!!float");
            int i = value.charAt(0) == '-' || value.charAt(0) == '+' ? 1 : 0;
            int intDigits = 0, fracDigits = 0;
            while (i < value.length() && isDigit(value.charAt(i))) { i++; intDigits++; }
            if (i < value.length() && value.charAt(i) == '.') {
                i++;
                while (i < value.length() && isDigit(value.charAt(i))) { i++; fracDigits++; }
            }
            if (intDigits == 0 && fracDigits == 0) return false;
            if (i < value.length() && (value.charAt(i) == 'e' || value.charAt(i) == 'E')) {
                i++;
                if (i < value.length() && (value.charAt(i) == '-' || value.charAt(i) == '+')) i++;
                int exp = 0;
                while (i < value.length() && isDigit(value.charAt(i))) { i++; exp++; }
                if (exp == 0) return false;
            }
            return i == value.length();
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        /**
         * What a YAML reader makes of this plain value when it is not text: "boolean", "number"
         * or "date", by YAML 1.2's core schema, by Go's yaml.v3 (Space's CLI) and by the YAML
         * 1.1 reader (PyYAML) Space's tooling used (yes/no/on/off, 0x1F, 0o17, 017, 1_000, 1:20,
         * .inf, .nan, 2024-01-31), or by its tag; null for text (and for null, see {@link #isNull}).
         */
        public String yamlType() {
            if (tag != null) {
                return switch (tag) {
                    case "!!int", "!!float" -> "number";
                    case "!!bool" -> "boolean";
                    default -> null;
                };
            }
            if (style != Style.PLAIN || isNull()) return null;
            if (asBoolean() != null || YAML11_BOOL.matcher(value).matches()) return "boolean";
            if (isNumber() || YAML_INT.matcher(value).matches() || YAML_FLOAT.matcher(value).matches() || asInteger() != null
                    || YamlResolver.resolve(value).type() == YamlResolver.Type.FLOAT) return "number";
            if (YAML11_DATE.matcher(value).matches()) return "date";
            return null;
        }

        @Override
        public String describe() {
            if (isNull()) return "nothing (an empty value)";
            String type = yamlType();
            if (type != null) return "the " + type + " " + value;
            return "the text '" + value + "'";
        }
    }

    record Sequence(List<YamlNode> items, int line, int column) implements YamlNode {
        @Override
        public String describe() {
            return "a list";
        }
    }

    record Mapping(List<Entry> entries, int line, int column) implements YamlNode {
        public YamlNode get(String key) {
            for (Entry e : entries) if (e.key().value().equals(key)) return e.value();
            return null;
        }

        public Entry entry(String key) {
            for (Entry e : entries) if (e.key().value().equals(key)) return e;
            return null;
        }

        @Override
        public String describe() {
            return "a mapping (key: value lines)";
        }
    }

    record Entry(Scalar key, YamlNode value) {}
}
