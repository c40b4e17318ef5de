package micros.spacefile;

/**
 * What the text of a Spacefile must be before it is read as YAML: at most 1 MiB, line breaks
 * that are LF or CRLF, and no control characters, which YAML forbids in a document (and
 * which would reach a micro's `run` command unseen).
 */
final class YamlText {
    /** A Spacefile is a few KiB; more than this is something else. */
    static final int MAX_BYTES = 1 << 20;

    private YamlText() {}

    static void check(String source) throws YamlException {
        if (source.length() > MAX_BYTES)
            throw new YamlException(1, 1, "the file is over 1 MiB: a Spacefile is a few KiB of YAML, so this is not one");
        int line = 1, col = 1;
        for (int i = 0; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '\n') {
                line++;
                col = 1;
                continue;
            }
            if (c == '\r') {
                if (i + 1 < source.length() && source.charAt(i + 1) == '\n') continue;
                throw new YamlException(line, col, "this line ends with a lone CR (old Mac line endings): YAML would read the file as other lines"
                        + " than you see; save it with LF (Unix) or CRLF (Windows) line endings");
            }
            if (forbidden(c, i))
                throw new YamlException(line, col, "the control character " + name(c) + " is not allowed in a Spacefile: remove it"
                        + " (inside double quotes, write it as an escape such as \\t or \\u001b if it is meant)");
            col++;
        }
    }

    /** C0 but tab, DEL, C1 (NEL included), the Unicode line and paragraph separators, a BOM past the start. */
    private static boolean forbidden(char c, int at) {
        return (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029' || (c == '\uFEFF' && at > 0);
    }

    private static String name(char c) {
        String code = String.format("U+%04X", (int) c);
        String known = switch (c) {
            case 0 -> "NUL";
            case 7 -> "BEL";
            case 8 -> "BS";
            case 0x1b -> "ESC";
            case 0x7f -> "DEL";
            case 0x85 -> "NEL";
            case '\u2028' -> "LINE SEPARATOR";
            case '\u2029' -> "PARAGRAPH SEPARATOR";
            case '\uFEFF' -> "BYTE ORDER MARK";
            default -> null;
        };
        return known == null ? code : code + " (" + known + ")";
    }
}
