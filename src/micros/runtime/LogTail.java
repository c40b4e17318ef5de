package micros.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The last lines a micro wrote, for error messages and the dashboard. */
public final class LogTail {
    /** The line that names an error: Node's "Error: Cannot find module 'x'", Python's "ModuleNotFoundError: ...", Go's "panic: ...". */
    private static final Pattern ERROR = Pattern.compile("^(Uncaught )?([A-Za-z_$][\\w$.]*)?(Error|Exception)( \\[[A-Z0-9_]+\\])?: .*|^panic: .*|^Fatal error: .*");
    private final int capacity;
    private final ArrayDeque<String> lines;
    private long added, mark; // lines added ever, and when mark() was called

    public LogTail(int capacity) {
        this.capacity = capacity;
        this.lines = new ArrayDeque<>(capacity);
    }

    public synchronized void add(String line) {
        if (lines.size() == capacity) lines.removeFirst();
        lines.addLast(line);
        added++;
    }

    /** From now on: what {@link #sinceMark()} returns (a process starts). */
    public synchronized void mark() {
        mark = added;
    }

    /** The lines added since {@link #mark()}, as many as the tail holds. */
    public synchronized List<String> sinceMark() {
        return last((int) Math.min(capacity, added - mark));
    }

    public synchronized List<String> last(int n) {
        List<String> all = new ArrayList<>(lines);
        return all.subList(Math.max(0, all.size() - n), all.size());
    }

    /** The last line among these that names an error ("ModuleNotFoundError: No module named 'x'"), or null. */
    public static String errorLine(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--)
            if (ERROR.matcher(lines.get(i).strip()).matches()) return lines.get(i).strip();
        return null;
    }

    /**
     * The last {@code n} lines, but with the error line when the tail does not show it: a
     * Node stack trace ends with "at ..." lines, its code and the Node version, so the line that
     * matters ("Error: Cannot find module 'express'") comes first, then "...", then the tail.
     */
    public synchronized List<String> excerpt(int n) {
        List<String> all = new ArrayList<>(lines);
        int from = Math.max(0, all.size() - n);
        int error = -1;
        for (int i = all.size() - 1; i >= 0; i--)
            if (ERROR.matcher(all.get(i).strip()).matches()) {
                error = i;
                break;
            }
        if (error < 0 || error >= from) return all.subList(from, all.size());
        List<String> out = new ArrayList<>();
        out.add(all.get(error));
        out.add("...");
        out.addAll(all.subList(Math.max(from + 2, error + 1), all.size()));
        return out;
    }
}
