package micros.spacefile;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An action's default_interval: a rate ("2 hours") or a 5-field cron expression in UTC; or a
 * Deta Cloud micro's six-field cron ({@link AwsCron}).
 * {@link #first} gives the first run after installation, {@link #next} the run after a run.
 */
public sealed interface Schedule permits Schedule.Rate, Schedule.Cron, AwsCron {

    /** The first run at or after the moment the app was installed (started). */
    Instant first(Instant installed);

    /** The run that follows a run at {@code after}; always strictly later. */
    Instant next(Instant after);

    /** Parses a rate or a cron expression; the exception's message says what is wrong and how to fix it. */
    static Schedule parse(String text) {
        String t = text.strip();
        if (t.isEmpty()) throw new IllegalArgumentException("the interval is empty: write a rate such as '1 hour' or a cron expression such as '0 10 * * *'");
        if (Character.isDigit(t.charAt(0)) && t.split("\\s+").length == 2) return Rate.parse(t);
        if (t.split("\\s+").length == 5) return Cron.parse(t);
        throw new IllegalArgumentException("'" + text + "' is neither a rate ('5 minutes', '1 hour', '2 days') nor a 5-field cron expression ('0 10 * * *')");
    }

    record Rate(int value, ChronoUnit unit) implements Schedule {
        private static final Pattern RATE = Pattern.compile("([0-9]+)\\s+([a-z]+)");

        static Rate parse(String t) {
            Matcher m = RATE.matcher(t);
            if (!m.matches()) throw new IllegalArgumentException("'" + t + "' is not a rate: write a positive whole number and a unit, such as '5 minutes'");
            String word = m.group(2);
            ChronoUnit unit = switch (word) {
                case "minute", "minutes" -> ChronoUnit.MINUTES;
                case "hour", "hours" -> ChronoUnit.HOURS;
                case "day", "days" -> ChronoUnit.DAYS;
                default -> throw new IllegalArgumentException("'" + word + "' is not a rate unit: use minute(s), hour(s) or day(s)");
            };
            long v = m.group(1).length() > 9 ? Long.MAX_VALUE : Long.parseLong(m.group(1));
            if (v == 0) throw new IllegalArgumentException("a rate needs a positive number: '0 " + word + "' never runs");
            if (v > 100_000) throw new IllegalArgumentException("'" + t + "' is too long a rate: use at most 100000 of a unit");
            String singular = word.endsWith("s") ? word.substring(0, word.length() - 1) : word;
            if (v == 1 && word.endsWith("s"))
                throw new IllegalArgumentException("with the value 1 the unit is singular: write '1 " + singular + "'");
            if (v > 1 && !word.endsWith("s"))
                throw new IllegalArgumentException("with a value above 1 the unit is plural: write '" + v + " " + word + "s'");
            return new Rate((int) v, unit);
        }

        /** Space rounds the start up: to the next minute, the next full hour, or the next day at 00:00. */
        @Override
        public Instant first(Instant installed) {
            Instant floor = installed.atZone(ZoneOffset.UTC).truncatedTo(unit).toInstant();
            return floor.equals(installed) ? floor : floor.plus(1, unit);
        }

        @Override
        public Instant next(Instant after) {
            return after.plus(value, unit);
        }

        @Override
        public String toString() {
            return value + " " + unit.toString().toLowerCase(Locale.ROOT).replaceAll("s$", value == 1 ? "" : "s");
        }
    }

    /** A cron expression; day-of-month and day-of-week are never both restricted (Space's rule). */
    record Cron(String text, long minutes, long hours, long days, long months, long weekdays,
                boolean daysRestricted, boolean weekdaysRestricted) implements Schedule {

        private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");
        private static final List<String> WEEKDAYS = List.of("sun", "mon", "tue", "wed", "thu", "fri", "sat");
        private static final int[] LONGEST_MONTH = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        static Cron parse(String t) {
            String[] f = t.split("\\s+");
            long minutes = field(f[0], "minute", 0, 59, null);
            long hours = field(f[1], "hour", 0, 23, null);
            long days = field(f[2], "day-of-month", 1, 31, null);
            long months = field(f[3], "month", 1, 12, MONTHS);
            long weekdays = field(f[4], "day-of-week", 0, 7, WEEKDAYS);
            if ((weekdays & (1L << 7)) != 0) weekdays = (weekdays | 1) & ~(1L << 7); // 7 is Sunday too
            boolean dayR = !isAny(f[2]), weekR = !isAny(f[4]);
            if (dayR && weekR)
                throw new IllegalArgumentException("'" + t + "' sets both day-of-month and day-of-week: use * or ? in one of them");
            if (dayR) {
                boolean possible = false;
                for (int m = 1; m <= 12; m++)
                    if ((months & (1L << m)) != 0 && Long.numberOfTrailingZeros(days) <= LONGEST_MONTH[m]) possible = true;
                if (!possible) throw new IllegalArgumentException("'" + t + "' never runs: none of its months has that day");
            }
            return new Cron(t, minutes, hours, days, months, weekdays, dayR, weekR);
        }

        private static boolean isAny(String f) {
            return f.equals("*") || f.equals("?");
        }

        /** A bit set of the values one field allows. */
        private static long field(String f, String name, int min, int max, List<String> names) {
            if (f.equals("?")) {
                if (!name.startsWith("day")) throw new IllegalArgumentException("'?' is only allowed in the day-of-month and day-of-week fields, not in " + name);
                f = "*";
            }
            long bits = 0;
            for (String part : f.split(",", -1)) {
                if (part.isEmpty()) throw new IllegalArgumentException("the " + name + " field '" + f + "' has an empty item between commas");
                int step = 1;
                int slash = part.indexOf('/');
                String range = part;
                if (slash >= 0) {
                    range = part.substring(0, slash);
                    step = number(part.substring(slash + 1), name + " step", 1, max - min + 1, null);
                }
                int lo, hi;
                if (range.equals("*")) {
                    lo = min;
                    hi = max == 7 ? 6 : max;
                } else if (range.indexOf('-') > 0) {
                    int dash = range.indexOf('-');
                    lo = number(range.substring(0, dash), name, min, max, names);
                    hi = number(range.substring(dash + 1), name, min, max, names);
                    if (hi < lo) throw new IllegalArgumentException("the " + name + " range '" + range + "' runs backwards: write it from low to high");
                } else {
                    lo = number(range, name, min, max, names);
                    hi = slash >= 0 ? (max == 7 ? 6 : max) : lo; // "0/15" means from 0 every 15
                }
                for (int v = lo; v <= hi; v += step) bits |= 1L << v;
            }
            return bits;
        }

        private static int number(String s, String name, int min, int max, List<String> names) {
            if (names != null) {
                int i = names.indexOf(s.toLowerCase(Locale.ROOT));
                if (i >= 0) return names == MONTHS ? i + 1 : i;
            }
            if (!s.matches("[0-9]{1,4}"))
                throw new IllegalArgumentException("'" + s + "' is not a valid " + name + (names == null ? "" : " (use a number or a name such as " + names.get(1) + ")"));
            int v = Integer.parseInt(s);
            if (v < min || v > max) throw new IllegalArgumentException("the " + name + " " + v + " is out of range " + min + "-" + max);
            return v;
        }

        @Override
        public Instant first(Instant installed) {
            return next(installed);
        }

        @Override
        public Instant next(Instant after) {
            ZonedDateTime t = after.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
            ZonedDateTime limit = t.plusYears(9); // any possible date recurs within 8 years (leap days)
            while (t.isBefore(limit)) {
                if ((months & (1L << t.getMonthValue())) == 0) {
                    t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
                } else if (!dayMatches(t)) {
                    t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
                } else if ((hours & (1L << t.getHour())) == 0) {
                    t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
                } else if ((minutes & (1L << t.getMinute())) == 0) {
                    t = t.plusMinutes(1);
                } else {
                    return t.toInstant();
                }
            }
            throw new IllegalStateException("cron '" + text + "' has no next run");
        }

        private boolean dayMatches(ZonedDateTime t) {
            if (daysRestricted) return (days & (1L << t.getDayOfMonth())) != 0;
            if (weekdaysRestricted) return (weekdays & (1L << (t.getDayOfWeek().getValue() % 7))) != 0;
            return true;
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
