package micros.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The last lines a micro wrote, for error messages and the dashboard. */
public final class LogTail {
    private final int capacity;
    private final ArrayDeque<String> lines;

    public LogTail(int capacity) {
        this.capacity = capacity;
        this.lines = new ArrayDeque<>(capacity);
    }

    public synchronized void add(String line) {
        if (lines.size() == capacity) lines.removeFirst();
        lines.addLast(line);
    }

    public synchronized List<String> last(int n) {
        List<String> all = new ArrayList<>(lines);
        return all.subList(Math.max(0, all.size() - n), all.size());
    }
}
