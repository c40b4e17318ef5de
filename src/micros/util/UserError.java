package micros.util;

/** A failure the user can fix: one sentence for the terminal and the exit code to end with. */
public final class UserError extends RuntimeException {
    public static final int RUNTIME = 1, CONFIG = 2;
    private final int exitCode;

    public UserError(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public static UserError config(String message) {
        return new UserError(CONFIG, message);
    }

    public static UserError runtime(String message) {
        return new UserError(RUNTIME, message);
    }

    public int exitCode() {
        return exitCode;
    }
}
