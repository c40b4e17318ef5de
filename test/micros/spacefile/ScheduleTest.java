package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static Instant at(String iso) {
        return Instant.parse(iso);
    }

    private static Instant next(String expr, String after) {
        return Schedule.parse(expr).next(at(after));
    }

    private static String refused(String expr) {
        return assertThrows(IllegalArgumentException.class, () -> Schedule.parse(expr)).getMessage();
    }

    @Test
    void ratesNeedAPositiveNumberAndTheRightUnitForm() {
        assertInstanceOf(Schedule.Rate.class, Schedule.parse("1 minute"));
        assertEquals("5 minutes", Schedule.parse("5 minutes").toString());
        assertEquals("1 day", Schedule.parse("1 day").toString());
        assertTrue(refused("1 minutes").contains("write '1 minute'"));
        assertTrue(refused("2 hour").contains("write '2 hours'"));
        assertTrue(refused("0 days").contains("positive"));
        assertTrue(refused("3 weeks").contains("not a rate unit"));
        assertTrue(refused("every day").contains("neither a rate"));
    }

    @Test
    void rateStartsRoundedUpThenRepeats() {
        Schedule minute = Schedule.parse("1 minute");
        assertEquals(at("2024-03-01T10:16:00Z"), minute.first(at("2024-03-01T10:15:30Z")));
        assertEquals(at("2024-03-01T10:15:00Z"), minute.first(at("2024-03-01T10:15:00Z")));
        assertEquals(at("2024-03-01T10:17:00Z"), minute.next(at("2024-03-01T10:16:00Z")));
        Schedule hours = Schedule.parse("2 hours");
        assertEquals(at("2024-03-01T11:00:00Z"), hours.first(at("2024-03-01T10:15:30Z")));
        assertEquals(at("2024-03-01T13:00:00Z"), hours.next(at("2024-03-01T11:00:00Z")));
        Schedule days = Schedule.parse("1 day");
        assertEquals(at("2024-03-02T00:00:00Z"), days.first(at("2024-03-01T10:15:30Z")));
        assertEquals(at("2024-03-01T00:00:00Z"), Schedule.parse("1 day").next(at("2024-02-29T00:00:00Z")));
    }

    @Test
    void cronFieldsAndRanges() {
        assertEquals(at("2024-01-01T10:00:00Z"), next("0 10 * * *", "2024-01-01T09:59:59Z"));
        assertEquals(at("2024-01-02T10:00:00Z"), next("0 10 * * *", "2024-01-01T10:00:00Z"));
        assertEquals(at("2024-01-01T12:15:00Z"), next("15 12 * * *", "2024-01-01T00:00:00Z"));
        assertEquals(at("2024-01-01T00:15:00Z"), next("0/15 * * * *", "2024-01-01T00:00:00Z"));
        assertEquals(at("2024-01-01T00:11:00Z"), next("1/10 * * * *", "2024-01-01T00:01:00Z"));
        assertEquals(at("2024-01-01T02:00:00Z"), next("0 */2 * * *", "2024-01-01T00:30:00Z"));
        assertEquals(at("2024-01-01T00:01:00Z"), next("* * * * *", "2024-01-01T00:00:00Z"));
        assertEquals(at("2024-01-01T00:01:00Z"), next("0/1 * * * *", "2024-01-01T00:00:30Z"));
    }

    @Test
    void cronAcrossMonthAndYearEnds() {
        assertEquals(at("2024-02-01T08:00:00Z"), next("0 8 1 * *", "2024-01-01T08:00:00Z"));
        assertEquals(at("2024-03-31T00:00:00Z"), next("0 0 31 * *", "2024-01-31T00:00:00Z")); // Feb has no 31st
        assertEquals(at("2025-01-01T00:00:00Z"), next("0 0 1 jan *", "2024-01-01T00:00:00Z"));
        assertEquals(at("2025-01-01T00:00:00Z"), next("0 0 * * *", "2024-12-31T00:00:00Z"));
        assertEquals(at("2024-04-30T23:59:00Z"), next("59 23 30 * *", "2024-03-31T00:00:00Z"));
    }

    @Test
    void cronOnLeapDays() {
        assertEquals(at("2024-02-29T12:00:00Z"), next("0 12 29 2 *", "2023-03-01T00:00:00Z"));
        assertEquals(at("2028-02-29T12:00:00Z"), next("0 12 29 feb *", "2024-02-29T12:00:00Z"));
        assertTrue(refused("0 0 30 2 *").contains("never runs"));
        assertTrue(refused("0 0 31 apr,jun *").contains("never runs"));
    }

    @Test
    void cronDayOfWeekNumbersAndNames() {
        // 2024-01-01 is a Monday
        assertEquals(at("2024-01-01T18:00:00Z"), next("0 18 * * mon-fri", "2024-01-01T00:00:00Z"));
        assertEquals(at("2024-01-08T18:00:00Z"), next("0 18 * * mon-fri", "2024-01-05T18:00:00Z"));
        assertEquals(at("2024-01-07T00:00:00Z"), next("0 0 ? * 0", "2024-01-01T00:00:00Z"));
        assertEquals(at("2024-01-07T00:00:00Z"), next("0 0 ? * 7", "2024-01-01T00:00:00Z"));
        assertEquals(at("2024-01-07T00:00:00Z"), next("0 0 * * SUN", "2024-01-01T00:00:00Z"));
        assertEquals(at("2024-01-06T09:00:00Z"), next("0 9 * * sat,sun", "2024-01-01T00:00:00Z"));
        assertEquals(at("2024-01-01T08:05:00Z"), next("0/5 8-17 * * mon-fri", "2024-01-01T08:00:00Z"));
        assertEquals(at("2024-01-02T08:00:00Z"), next("0/5 8-17 * * mon-fri", "2024-01-01T17:55:00Z"));
    }

    @Test
    void cronRefusals() {
        assertTrue(refused("0 0 1 * mon").contains("both day-of-month and day-of-week"));
        assertTrue(refused("60 * * * *").contains("out of range 0-59"));
        assertTrue(refused("0 24 * * *").contains("out of range 0-23"));
        assertTrue(refused("0 0 0 * *").contains("out of range 1-31"));
        assertTrue(refused("0 0 * 13 *").contains("out of range 1-12"));
        assertTrue(refused("0 0 * * 8").contains("out of range 0-7"));
        assertTrue(refused("0 0 * foo *").contains("not a valid month"));
        assertTrue(refused("5-1 * * * *").contains("runs backwards"));
        assertTrue(refused("? * * * *").contains("only allowed in the day"));
        assertTrue(refused("*/0 * * * *").contains("out of range"));
        assertTrue(refused("1,,2 * * * *").contains("empty item"));
        assertTrue(refused("* * * *").contains("neither"));
    }
}
