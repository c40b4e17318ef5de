package micros.runtime;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * What micros says about a micro's own output, which it logs as it is: the first time in a run
 * that the micro meets the read-only filesystem, one line saying that only /tmp is writable,
 * as on Space; when the micro fails to start, the line that names its error (the trace itself
 * is in the log once already, where the micro wrote it); and which line only repeats a kill
 * micros logs itself.
 */
final class OutputNotes {
    /** Node's "EROFS: read-only file system, open 'x'", Python's "[Errno 30] Read-only file system: 'x'", a shell's "Read-only file system". */
    private static final Pattern READ_ONLY = Pattern.compile("(?i)read-only file system|\\bEROFS\\b");
    static final String READ_ONLY_NOTE = "a write outside /tmp failed (read-only file system): on Space only /tmp was writable, and so it is here;"
            + " write temporary files to /tmp (TMPDIR), and what must last to Deta Base or Drive";

    private final AtomicBoolean readOnlySaid = new AtomicBoolean();

    /** The note to log after this output line, once per micro and run; else null. */
    String after(String line) {
        if (readOnlySaid.get() || !READ_ONLY.matcher(line).find()) return null;
        return readOnlySaid.compareAndSet(false, true) ? READ_ONLY_NOTE : null;
    }

    /**
     * Whether the line is a shell's report that its command was killed ("Killed" after the OOM
     * killer ended the micro's process but not the shell around it): micros logs the kill itself,
     * once, with its reason.
     */
    static boolean killReport(String line) {
        return line.equals("Killed") || line.equals("Terminated");
    }

    /**
     * What to add to "failed to start: ..." from the lines the process wrote: its error line
     * (": ModuleNotFoundError: No module named 'x'"), else its last line, else nothing.
     */
    static String lastWords(List<String> lines) {
        String error = LogTail.errorLine(lines);
        if (error != null) return ": " + error;
        for (int i = lines.size() - 1; i >= 0; i--)
            if (!lines.get(i).isBlank()) return "; its last line: " + lines.get(i).strip();
        return "";
    }
}
