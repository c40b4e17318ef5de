package micros.spacefile;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How Space's CLI typed a plain (or tagged) scalar: the resolve rules of Go's yaml.v3, which
 * read Spacefiles. "0x0", "0o0", "00", "0b0", "+0", "0_0", "0.0", ".0" and "0e0" are all
 * numbers equal to 0 there; "1e400" and "0x1p2" are text.
 */
final class YamlResolver {
    private YamlResolver() {}

    enum Type { NULL, BOOL, INT, FLOAT, MERGE, STR }

    /** The type and, for a finite number, its exact value. */
    record Resolved(Type type, BigDecimal number) {
        static final Resolved STR = new Resolved(Type.STR, null);
    }

    /** The tags a Spacefile may use: yaml.v3's standard ones that fit its values. */
    static final List<String> TAGS = List.of("!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq");

    /**
     * What the tag needs that the node is not ("a whole number such as 0"), or null when the
     * tag fits it by yaml.v3's rules: !!int "0" fits, !!int "x" and !!map on a list do not.
     */
    static String needs(String tag, YamlNode node) {
        boolean fits;
        if (node instanceof YamlNode.Scalar s) {
            Type type = resolve(s.value()).type();
            fits = switch (tag) {
                case "!!str" -> true;
                case "!!int" -> type == Type.INT;
                case "!!float" -> type == Type.INT || type == Type.FLOAT;
                case "!!bool" -> type == Type.BOOL;
                case "!!null" -> type == Type.NULL;
                default -> false;
            };
        } else {
            fits = tag.equals(node instanceof YamlNode.Mapping ? "!!map" : "!!seq");
        }
        if (fits) return null;
        return switch (tag) {
            case "!!int" -> "a whole number such as 0";
            case "!!float" -> "a number such as 0.5";
            case "!!bool" -> "true or false";
            case "!!null" -> "null, ~ or nothing";
            case "!!map" -> "a mapping (key: value lines)";
            case "!!seq" -> "a list";
            default -> "text";
        };
    }

    private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    /** yaml.v3's yamlStyleFloat, tried on the text without underscores. */
    private static final Pattern YAML_STYLE_FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    /** What Go's ParseFloat reads of a text starting with '.': digits (with '_' between them) and an exponent. */
    private static final Pattern DOT_FLOAT = Pattern.compile("\\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?");

    /** yaml.v3's resolve() for an untagged plain scalar (timestamps aside: they are text to a Spacefile field). */
    static Resolved resolve(String in) {
        switch (in) {
            case "", "~", "null", "Null", "NULL" -> { return new Resolved(Type.NULL, null); }
            case "true", "True", "TRUE", "false", "False", "FALSE" -> { return new Resolved(Type.BOOL, null); }
            case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF" -> {
                return new Resolved(Type.FLOAT, null);
            }
            case "<<" -> { return new Resolved(Type.MERGE, null); }
            default -> { }
        }
        char first = in.charAt(0);
        if (first == '.') {
            // Go's ParseFloat; an overflow is an error there, so the text stays text
            return DOT_FLOAT.matcher(in).matches() ? finiteFloat(in.replace("_", "")) : Resolved.STR;
        }
        if (!(first == '+' || first == '-' || (first >= '0' && first <= '9'))) return Resolved.STR;
        String plain = in.replace("_", "");
        BigInteger i = goParseInt(plain);
        if (i != null && i.compareTo(INT64_MIN) >= 0 && i.compareTo(UINT64_MAX) <= 0
                && (i.bitLength() < 64 || plain.charAt(0) != '+' && plain.charAt(0) != '-')) // ParseUint takes no sign
            return new Resolved(Type.INT, new BigDecimal(i));
        if (YAML_STYLE_FLOAT.matcher(plain).matches()) {
            Resolved f = finiteFloat(plain);
            if (f.type == Type.FLOAT) return f;
        }
        // yaml.v3 then reads "0b…"/"-0b…" and "0o…"/"-0o…" with the rest in that base, sign included
        for (String prefix : new String[] {"0b", "-0b", "0o", "-0o"}) {
            if (!plain.startsWith(prefix)) continue;
            String rest = plain.substring(prefix.length());
            if (prefix.startsWith("-")) rest = "-" + rest;
            BigInteger v = parse(rest, prefix.endsWith("b") ? 2 : 8, true);
            if (v != null && v.compareTo(INT64_MIN) >= 0 && v.compareTo(UINT64_MAX) <= 0) return new Resolved(Type.INT, new BigDecimal(v));
            break;
        }
        return Resolved.STR;
    }

    /** The whole number a value equals, when it is a number with a whole value that fits a long; else null. */
    static Long wholeNumber(Resolved r) {
        if ((r.type != Type.INT && r.type != Type.FLOAT) || r.number == null) return null;
        try {
            return r.number.stripTrailingZeros().longValueExact();
        } catch (ArithmeticException notWhole) {
            return null;
        }
    }

    private static Resolved finiteFloat(String s) {
        double d;
        try {
            d = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Resolved.STR;
        }
        if (Double.isInfinite(d)) return Resolved.STR; // ParseFloat's range error
        return new Resolved(Type.FLOAT, new BigDecimal(d));
    }

    /** Go's strconv.ParseInt(s, 0, …) without the range check: a sign, then 0x, 0o, 0b, a leading 0 (octal) or decimal. */
    private static BigInteger goParseInt(String s) {
        int i = s.startsWith("+") || s.startsWith("-") ? 1 : 0;
        String body = s.substring(i);
        int radix = 10;
        if (body.length() >= 2 && body.charAt(0) == '0') {
            char p = Character.toLowerCase(body.charAt(1));
            if (p == 'x') radix = 16;
            else if (p == 'o') radix = 8;
            else if (p == 'b') radix = 2;
            if (radix != 10) body = body.substring(2);
            else {
                radix = 8;
                body = body.substring(1);
            }
        }
        BigInteger v = parse(body, radix, false);
        return v == null ? null : s.startsWith("-") ? v.negate() : v;
    }

    private static BigInteger parse(String digits, int radix, boolean signed) {
        int from = signed && (digits.startsWith("+") || digits.startsWith("-")) ? 1 : 0;
        if (digits.length() == from) return null;
        for (int k = from; k < digits.length(); k++) if (Character.digit(digits.charAt(k), radix) < 0) return null;
        return new BigInteger(digits, radix);
    }
}
