package micros.spacefile;

/** A YAML syntax error at a 1-based line and column; the message says how to fix it. */
public final class YamlException extends Exception {
    private final int line;
    private final int column;

    public YamlException(int line, int column, String message) {
        super(message);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
