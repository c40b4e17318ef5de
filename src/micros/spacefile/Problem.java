package micros.spacefile;

/**
 * One thing wrong with a Spacefile, at a line and column, naming the field
 * ({@code micros[1].engine}). Warnings that {@code blocksRun} (a missing src folder)
 * do not make the file invalid for Space, but micros cannot run the app with them.
 */
public record Problem(Severity severity, boolean blocksRun, String file, int line, int column, String field, String message) {

    public enum Severity { ERROR, WARNING }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code Spacefile:5:13: micros[0].engine: 'x' is not ...}; warnings say so after the position. */
    @Override
    public String toString() {
        String where = file + ":" + line + ":" + column + ": ";
        String kind = isError() ? "" : "warning: ";
        return where + kind + (field.isEmpty() ? "" : field + ": ") + message;
    }

    public String toJson() {
        return "{\"severity\":\"" + severity.name().toLowerCase(java.util.Locale.ROOT) + "\",\"file\":" + micros.util.Json.quote(file)
                + ",\"line\":" + line + ",\"column\":" + column + ",\"field\":" + micros.util.Json.quote(field)
                + ",\"message\":" + micros.util.Json.quote(message) + ",\"blocksRun\":" + blocksRun + "}";
    }
}
