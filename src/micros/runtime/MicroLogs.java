package micros.runtime;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import micros.spacefile.App;

/**
 * Each micro's recent lines for the dashboard's log panels, with their time: what it and its
 * build printed, and micros' own events about it (cold start, stop, freeze, timeout, OOM kill,
 * a run of one of its actions), marked as micros'. Fed by the {@link Log} from before the
 * build step, so a failed install shows there too.
 */
public final class MicroLogs {
    public static final int CAPACITY = 100;

    /** A line: when, which stream ("stdout", "stderr", "build", or "micros" for micros' own), and its text as logged. */
    public record Entry(Instant time, String stream, String text) {
        public boolean own() {
            return stream.equals(Log.SELF);
        }
    }

    private final Map<String, ArrayDeque<Entry>> byMicro = new LinkedHashMap<>();
    private final List<String> longestFirst; // "api-v2: ..." is api-v2's event, not api's

    public MicroLogs(App app) {
        for (App.Micro m : app.micros()) byMicro.put(m.name(), new ArrayDeque<>(CAPACITY));
        longestFirst = new ArrayList<>(byMicro.keySet());
        longestFirst.sort(Comparator.comparingInt(String::length).reversed());
    }

    /** A logged line (a {@link Log} listener). */
    public void add(Log.Line line) {
        if (!line.micro().equals(Log.SELF)) {
            put(line.micro(), new Entry(line.time(), line.stream(), line.text()));
            return;
        }
        String text = line.text();
        for (String name : longestFirst) {
            if (text.startsWith(name + ": ")) { // "api: cold start in 157 ms (pid 6958, port 39107)"
                put(name, new Entry(line.time(), Log.SELF, text.substring(name.length() + 2)));
                return;
            }
            if (text.startsWith("action ") && text.contains("micro " + name + ")")) { // "action tick (schedule, micro api): 200 in 12 ms"
                put(name, new Entry(line.time(), Log.SELF, text));
                return;
            }
        }
    }

    private void put(String micro, Entry e) {
        ArrayDeque<Entry> lines = byMicro.get(micro);
        if (lines == null) return;
        synchronized (lines) {
            if (lines.size() == CAPACITY) lines.removeFirst();
            lines.addLast(e);
        }
    }

    /** The last {@code n} lines of a micro, oldest first. */
    public List<Entry> last(String micro, int n) {
        ArrayDeque<Entry> lines = byMicro.get(micro);
        if (lines == null) return List.of();
        synchronized (lines) {
            List<Entry> all = new ArrayList<>(lines);
            return all.subList(Math.max(0, all.size() - n), all.size());
        }
    }
}
