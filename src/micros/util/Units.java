package micros.util;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import micros.util.UserError;

/** Durations ("20s", "500ms", "5m", "1h", a bare number = seconds) and sizes ("512M", "5.5M", "64K", "1G", bare bytes). */
public final class Units {
    private static final Pattern DURATION = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)?");
    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)([KMG])?(?:i?B)?", Pattern.CASE_INSENSITIVE);

    private Units() {}

    public static Duration duration(String option, String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw UserError.config(option + " " + text + ": not a duration; write for example 20s, 500ms, 5m or 1h");
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = switch (unit) {
            case "ms" -> v;
            case "m" -> v * 60_000;
            case "h" -> v * 3_600_000;
            default -> v * 1000;
        };
        if (millis > 365L * 24 * 3_600_000) throw UserError.config(option + " " + text + ": too long (at most a year)");
        return Duration.ofMillis(Math.round(millis));
    }

    public static long size(String option, String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) throw UserError.config(option + " " + text + ": not a size; write for example 512M, 5.5M, 64K, 1G or a number of bytes");
        double v = Double.parseDouble(m.group(1));
        long unit = m.group(2) == null ? 1 : switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 1L << 10;
            case "M" -> 1L << 20;
            default -> 1L << 30;
        };
        double bytes = v * unit;
        if (bytes > (1L << 50)) throw UserError.config(option + " " + text + ": too large");
        return (long) bytes;
    }

    /** "20s", "500ms", "5m": the shortest exact form. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
        if (ms % 60_000 == 0 && ms > 0) return ms / 60_000 + "m";
        if (ms % 1000 == 0) return ms / 1000 + "s";
        return ms + "ms";
    }

    /** "512 MiB", "5.5 MiB", "64 KiB", "100 bytes". */
    public static String formatSize(long bytes) {
        String[] units = {"GiB", "MiB", "KiB"};
        long[] sizes = {1L << 30, 1L << 20, 1L << 10};
        for (int i = 0; i < units.length; i++) {
            if (bytes >= sizes[i]) {
                double v = (double) bytes / sizes[i];
                String n = v == Math.rint(v) ? String.valueOf((long) v) : oneDecimal(v);
                return n + " " + units[i];
            }
        }
        return bytes + " bytes";
    }

    /** v to one decimal, halves up, as %.1f prints it: not String.format, whose first use loads the locale data (~10 ms of a start). */
    static String oneDecimal(double v) {
        long tenths = Math.round(v * 10);
        return tenths / 10 + "." + tenths % 10;
    }

    /** s, then spaces up to width characters, as %-Ns pads it. */
    public static String padRight(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
