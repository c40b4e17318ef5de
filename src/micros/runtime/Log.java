package micros.runtime;

import java.io.PrintStream;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import micros.util.Json;

/**
 * One line per event: {@code HH:MM:SS name | text}, names padded to one width, a colour
 * per micro only on a terminal without NO_COLOR; or one JSON object per line.
 * Every line goes through one {@link Redactor}: control sequences dropped (but a micro's
 * colours on a terminal), then registered secrets replaced by "[redacted]".
 */
public final class Log {
    public enum Format { TEXT, JSON }

    public static final String SELF = "micros";
    private static final String[] PALETTE = {"36", "33", "32", "35", "34", "31"};

    private final PrintStream out;
    private final Format format;
    private final boolean color;
    private final Map<String, String> colors = new HashMap<>();
    private final Redactor redactor = new Redactor();
    private final List<Consumer<Line>> listeners = new CopyOnWriteArrayList<>();
    private int width = SELF.length();

    /** A logged line, as listeners (the dashboard, tests) see it. */
    public record Line(Instant time, String micro, String stream, String text) {}

    public Log(PrintStream out, Format format, boolean color) {
        this.out = out;
        this.format = format;
        this.color = color && format == Format.TEXT;
        // the clock's time zone is read now, on the side (~40 ms): read at the first line, it failed
        // for good when micros was out of file descriptors (the JDK opens tzdb.dat then)
        if (format == Format.TEXT) {
            Thread tz = new Thread(java.time.ZoneId::systemDefault, "micros-log-tz");
            tz.setDaemon(true);
            tz.start();
        }
    }

    /** Colour only when writing to a terminal and NO_COLOR is not set. */
    public static boolean colorWanted() {
        String noColor = System.getenv("NO_COLOR");
        return System.console() != null && (noColor == null || noColor.isEmpty());
    }

    public synchronized void names(Collection<String> names) {
        int i = 0;
        for (String n : names) {
            width = Math.max(width, n.length());
            colors.put(n, PALETTE[i++ % PALETTE.length]);
        }
    }

    /** A secret to redact from every line from now on (a project key's secret half too). */
    public void secret(String s) {
        redactor.add(s);
    }

    public void listen(Consumer<Line> listener) {
        listeners.add(listener);
    }

    /** A line a micro wrote on stdout or stderr (or its build step). */
    public void micro(String micro, String stream, String text) {
        write(micro, stream, text);
    }

    /** Something micros did or saw. */
    public void event(String text) {
        write(SELF, "event", text);
    }

    /** Plain lines for the person at the terminal (the start-up banner); not prefixed. */
    public synchronized void plain(String text) {
        if (format == Format.JSON) write(SELF, "event", text);
        else out.println(text);
    }

    private void write(String name, String stream, String raw) {
        String text = redactor.line(raw, color); // colour kept on a terminal; titles, clears, moves never
        Instant now = Instant.now();
        Line line = new Line(now, name, stream, text);
        for (Consumer<Line> l : listeners) l.accept(line);
        synchronized (this) {
            if (format == Format.JSON) {
                out.println("{\"time\":\"" + now.truncatedTo(ChronoUnit.MILLIS) + "\",\"micro\":" + Json.quote(name)
                        + ",\"stream\":\"" + stream + "\",\"text\":" + Json.quote(text) + "}");
                return;
            }
            LocalTime t = LocalTime.now();
            String clock = two(t.getHour()) + ":" + two(t.getMinute()) + ":" + two(t.getSecond());
            String padded = micros.util.Units.padRight(name, width);
            if (color) {
                String c = name.equals(SELF) ? "1" : colors.getOrDefault(name, "37");
                out.println("\u001b[2m" + clock + "\u001b[0m \u001b[" + c + "m" + padded + " |\u001b[0m " + text);
            } else {
                out.println(clock + " " + padded + " | " + text);
            }
        }
    }

    private static String two(int v) {
        return v < 10 ? "0" + v : Integer.toString(v);
    }

    /** A line as micros shows micro output off the terminal (dashboard, check's reports): no control sequence, no secret. */
    public String redact(String text) {
        return redactor.line(text, false);
    }

    /** Several lines (a micro's answer) as {@link #redact} shows each. */
    public String redactLines(String text) {
        return redactor.text(text);
    }
}
