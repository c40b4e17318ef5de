package micros.spacefile;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * A Deta Cloud cron expression (`deta cron set`), AWS's six fields in UTC: minutes, hours,
 * day-of-month, month, day-of-week (1-7 = SUN-SAT), year (1970-2199); {@code , - * /} in every
 * field, {@code ?} in exactly one of the day fields, {@code L} and {@code W} in day-of-month,
 * {@code L} and {@code #} in day-of-week. {@link #parse} refuses what Deta refused, naming the rule.
 */
public record AwsCron(String text, long minutes, long hours, Days days, long months, Weekdays weekdays, BitSet years) implements Schedule {
    static final int FIRST_YEAR = 1970, LAST_YEAR = 2199;
    private static final List<String> MONTHS = List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
    private static final List<String> WEEKDAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    /** Day-of-month: {@code ?} (any: day-of-week decides), or days, the last day (L), nearest weekdays (15W), the last weekday (LW). */
    public record Days(boolean any, long bits, boolean last, List<Integer> nearestWeekday, boolean lastWeekday) {}

    /** Day-of-week (0 = Sunday here): {@code ?}, or days, the last such day of the month (5L), the nth such day (3#2). */
    public record Weekdays(boolean any, long bits, List<Integer> lastOf, List<int[]> nth) {}

    /** A Deta schedule: a rate ("5 minutes": two words) or a six-field cron expression; one sentence naming the broken rule otherwise. */
    public static Schedule parseDeta(String text) {
        String t = text.strip();
        String[] words = t.split("\\s+");
        if (t.isEmpty()) throw new IllegalArgumentException("the schedule is empty");
        if (words.length == 2) {
            if (words[1].toLowerCase(Locale.ROOT).startsWith("second"))
                throw new IllegalArgumentException("'" + t + "' is a rate under one minute: Deta ran a micro at most once a minute (use '1 minute' or more)");
            return Schedule.Rate.parse(t);
        }
        if (words.length == 6) return parse(t);
        throw new IllegalArgumentException("'" + t + "' is neither a rate ('5 minutes') nor a cron expression of six fields"
                + " (minutes hours day-of-month month day-of-week year, such as '0/15 * * * ? *'); it has " + words.length + " word" + (words.length == 1 ? "" : "s"));
    }

    public static AwsCron parse(String text) {
        String[] f = text.strip().split("\\s+");
        if (f.length != 6) throw new IllegalArgumentException("'" + text + "' has " + f.length + " fields; a cron expression has six: minutes hours day-of-month month day-of-week year");
        for (int i : new int[] {0, 1, 3, 5})
            if (f[i].contains("?")) throw new IllegalArgumentException("'?' is only allowed in the day-of-month and day-of-week fields, not in the " + NAMES[i] + " field ('" + f[i] + "')");
        boolean domAny = f[2].equals("?"), dowAny = f[4].equals("?");
        if (domAny == dowAny)
            throw new IllegalArgumentException("'" + text + "' " + (domAny ? "has ? in both day fields" : "sets both day-of-month and day-of-week")
                    + ": use ? in exactly one of them (a value or * in the other), as Deta required");
        long minutes = field(f[0], "minutes", 0, 59, null);
        long hours = field(f[1], "hours", 0, 23, null);
        long months = field(f[3], "month", 1, 12, MONTHS);
        Days days = domAny ? new Days(true, 0, false, List.of(), false) : days(f[2]);
        Weekdays weekdays = dowAny ? new Weekdays(true, 0, List.of(), List.of()) : weekdays(f[4]);
        BitSet years = years(f[5]);
        return new AwsCron(text.strip(), minutes, hours, days, months, weekdays, years);
    }

    private static final String[] NAMES = {"minutes", "hours", "day-of-month", "month", "day-of-week", "year"};

    private static Days days(String f) {
        long bits = 0;
        boolean last = false, lastWeekday = false;
        List<Integer> nearest = new ArrayList<>();
        List<String> plain = new ArrayList<>();
        for (String item : items(f, "day-of-month")) {
            String u = item.toUpperCase(Locale.ROOT);
            if (u.equals("L")) last = true;
            else if (u.equals("LW")) lastWeekday = true;
            else if (u.endsWith("W")) nearest.add(number(u.substring(0, u.length() - 1), "day-of-month", 1, 31, null));
            else if (u.contains("L") || u.contains("W") || u.contains("#"))
                throw new IllegalArgumentException("'" + item + "' is not a day-of-month: use L (the last day), 15W (the weekday nearest the 15th), LW, or days such as 1,15 or 1-7");
            else plain.add(item);
        }
        if (!plain.isEmpty()) bits = field(String.join(",", plain), "day-of-month", 1, 31, null);
        return new Days(false, bits, last, List.copyOf(nearest), lastWeekday);
    }

    private static Weekdays weekdays(String f) {
        long bits = 0;
        List<Integer> lastOf = new ArrayList<>();
        List<int[]> nth = new ArrayList<>();
        List<String> plain = new ArrayList<>();
        for (String item : items(f, "day-of-week")) {
            String u = item.toUpperCase(Locale.ROOT);
            int hash = u.indexOf('#');
            if (hash >= 0) {
                int day = number(u.substring(0, hash), "day-of-week", 1, 7, WEEKDAYS);
                int k = number(u.substring(hash + 1), "week of the month after #", 1, 5, null);
                nth.add(new int[] {day - 1, k});
            } else if (u.equals("L")) {
                bits |= 1L << 6; // the last day of the week: Saturday
            } else if (u.endsWith("L")) {
                lastOf.add(number(u.substring(0, u.length() - 1), "day-of-week", 1, 7, WEEKDAYS) - 1);
            } else if (u.contains("W")) {
                throw new IllegalArgumentException("'" + item + "': W is only allowed in the day-of-month field");
            } else {
                plain.add(item);
            }
        }
        if (!plain.isEmpty()) bits |= field(String.join(",", plain), "day-of-week", 1, 7, WEEKDAYS) >>> 1; // 1-7 (SUN-SAT) to 0-6
        return new Weekdays(false, bits, List.copyOf(lastOf), List.copyOf(nth));
    }

    private static BitSet years(String f) {
        BitSet years = new BitSet();
        for (String item : items(f, "year")) {
            int[] r = range(item, "year", FIRST_YEAR, LAST_YEAR, null);
            for (int y = r[0]; y <= r[1]; y += r[2]) years.set(y - FIRST_YEAR);
        }
        return years;
    }

    private static List<String> items(String f, String name) {
        List<String> out = new ArrayList<>();
        for (String item : f.split(",", -1)) {
            if (item.isEmpty()) throw new IllegalArgumentException("the " + name + " field '" + f + "' has an empty item between commas");
            out.add(item);
        }
        return out;
    }

    /** A bit set of the values a field allows: items of *, a value, a range, each with an optional /step. */
    private static long field(String f, String name, int min, int max, List<String> names) {
        long bits = 0;
        for (String item : items(f, name)) {
            int[] r = range(item, name, min, max, names);
            for (int v = r[0]; v <= r[1]; v += r[2]) bits |= 1L << v;
        }
        return bits;
    }

    /** {from, to, step} of one item. */
    private static int[] range(String item, String name, int min, int max, List<String> names) {
        int slash = item.indexOf('/');
        String r = slash < 0 ? item : item.substring(0, slash);
        int step = slash < 0 ? 1 : number(item.substring(slash + 1), name + " step", 1, max - min + 1, null);
        if (r.equals("*")) return new int[] {min, max, step};
        int dash = r.indexOf('-', 1);
        if (dash > 0) {
            int lo = number(r.substring(0, dash), name, min, max, names), hi = number(r.substring(dash + 1), name, min, max, names);
            if (hi < lo) throw new IllegalArgumentException("the " + name + " range '" + r + "' runs backwards: write it from low to high");
            return new int[] {lo, hi, step};
        }
        int v = number(r, name, min, max, names);
        return new int[] {v, slash < 0 ? v : max, step}; // "0/15": from 0, every 15
    }

    private static int number(String s, String name, int min, int max, List<String> names) {
        if (names != null) {
            int i = names.indexOf(s.toUpperCase(Locale.ROOT));
            if (i >= 0) return i + 1;
        }
        if (!s.matches("[0-9]{1,4}"))
            throw new IllegalArgumentException("'" + s + "' is not a valid " + name + (names == null ? "" : " (use " + min + "-" + max + " or a name such as " + names.get(1) + ")"));
        int v = Integer.parseInt(s);
        if (v < min || v > max) throw new IllegalArgumentException("the " + name + " " + v + " is out of range " + min + "-" + max);
        return v;
    }

    @Override
    public Instant first(Instant installed) {
        return next(installed);
    }

    /** The first matching minute after {@code after}; IllegalStateException when none is left (its years are past). */
    @Override
    public Instant next(Instant after) {
        LocalDateTime start = LocalDateTime.ofInstant(after, ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        LocalDate d = start.toLocalDate();
        while (d.getYear() <= LAST_YEAR) {
            if (d.getYear() < FIRST_YEAR || !years.get(d.getYear() - FIRST_YEAR)) {
                d = LocalDate.of(d.getYear() + 1, 1, 1);
                continue;
            }
            if ((months & (1L << d.getMonthValue())) == 0) {
                d = d.withDayOfMonth(1).plusMonths(1);
                continue;
            }
            if (dayMatches(d)) {
                int fromMinute = d.equals(start.toLocalDate()) ? start.getHour() * 60 + start.getMinute() : 0;
                for (int m = fromMinute; m < 24 * 60; m++)
                    if ((hours & (1L << (m / 60))) != 0 && (minutes & (1L << (m % 60))) != 0)
                        return d.atTime(m / 60, m % 60).toInstant(ZoneOffset.UTC);
            }
            d = d.plusDays(1);
        }
        throw new IllegalStateException("cron '" + text + "' has no run left (its last year is past)");
    }

    private boolean dayMatches(LocalDate d) {
        return days.any() ? weekdayMatches(d) : dayOfMonthMatches(d);
    }

    private boolean dayOfMonthMatches(LocalDate d) {
        int day = d.getDayOfMonth(), length = d.lengthOfMonth();
        if ((days.bits() & (1L << day)) != 0) return true;
        if (days.last() && day == length) return true;
        if (days.lastWeekday() && day == nearestWeekday(d, length)) return true;
        for (int n : days.nearestWeekday()) if (n <= length && day == nearestWeekday(d, n)) return true;
        return false;
    }

    /** The weekday nearest day n of d's month, never crossing into another month (AWS's and Quartz's W). */
    private static int nearestWeekday(LocalDate d, int n) {
        LocalDate t = d.withDayOfMonth(n);
        int length = d.lengthOfMonth();
        return switch (t.getDayOfWeek()) {
            case SATURDAY -> n == 1 ? 3 : n - 1;
            case SUNDAY -> n == length ? n - 2 : n + 1;
            default -> n;
        };
    }

    private boolean weekdayMatches(LocalDate d) {
        int dow = d.getDayOfWeek().getValue() % 7; // Sunday 0
        if ((weekdays.bits() & (1L << dow)) != 0) return true;
        for (int w : weekdays.lastOf())
            if (w == dow && d.equals(d.with(TemporalAdjusters.lastInMonth(DayOfWeek.of(w == 0 ? 7 : w))))) return true;
        for (int[] n : weekdays.nth()) if (n[0] == dow && (d.getDayOfMonth() - 1) / 7 + 1 == n[1]) return true;
        return false;
    }

    @Override
    public String toString() {
        return text;
    }
}
