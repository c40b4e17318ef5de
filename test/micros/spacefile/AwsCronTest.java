package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Deta Cloud's six-field cron expressions (AWS's), their next runs in UTC, and what Deta refused. */
class AwsCronTest {

    private static List<String> runs(String expr, String after, int n) {
        Schedule s = AwsCron.parseDeta(expr);
        List<String> out = new ArrayList<>();
        Instant t = Instant.parse(after);
        for (int i = 0; i < n; i++) out.add((t = i == 0 ? s.first(t) : s.next(t)).toString());
        return out;
    }

    private static String refused(String expr) {
        return assertThrows(IllegalArgumentException.class, () -> AwsCron.parseDeta(expr)).getMessage();
    }

    @Test
    void theDocumentedExamples() {
        assertEquals(List.of("2024-03-01T00:15:00Z", "2024-03-01T00:30:00Z", "2024-03-01T00:45:00Z", "2024-03-01T01:00:00Z"),
                runs("0/15 * * * ? *", "2024-03-01T00:07:10Z", 4));
        // 2024-03-01 is a Friday: then Monday
        assertEquals(List.of("2024-03-01T18:00:00Z", "2024-03-04T18:00:00Z", "2024-03-05T18:00:00Z"), runs("0 18 ? * MON-FRI *", "2024-03-01T12:00:00Z", 3));
        assertEquals(List.of("2024-03-02T10:00:00Z", "2024-03-03T10:00:00Z"), runs("0 10 * * ? *", "2024-03-01T10:00:00Z", 2));
        assertEquals(List.of("2024-04-01T08:00:00Z", "2024-05-01T08:00:00Z"), runs("0 8 1 * ? *", "2024-03-01T09:00:00Z", 2));
        assertEquals(List.of("2024-03-01T17:55:00Z", "2024-03-04T08:00:00Z", "2024-03-04T08:05:00Z"), runs("0/5 8-17 ? * MON-FRI *", "2024-03-01T17:50:00Z", 3));
        assertEquals(List.of("2024-03-01T18:30:00Z"), runs("30 18 ? * 2-6 *", "2024-03-01T00:00:00Z", 1)); // 2-6 is MON-FRI: days count from SUN = 1
    }

    @Test
    void lastDaysNearestWeekdaysAndNthWeekdays() {
        assertEquals(List.of("2024-02-29T10:00:00Z", "2024-03-31T10:00:00Z", "2024-04-30T10:00:00Z"), runs("0 10 L * ? *", "2024-02-01T00:00:00Z", 3));
        // 15 June 2024 is a Saturday (Friday 14th), 15 September a Sunday (Monday 16th)
        assertEquals("2024-06-14T09:00:00Z", runs("0 9 15W * ? *", "2024-06-01T00:00:00Z", 1).get(0));
        assertEquals("2024-09-16T09:00:00Z", runs("0 9 15W * ? *", "2024-09-01T00:00:00Z", 1).get(0));
        assertEquals("2024-06-03T09:00:00Z", runs("0 9 1W * ? *", "2024-05-31T00:00:00Z", 1).get(0)); // 1 June is a Saturday: Monday the 3rd, never May
        assertEquals("2024-03-29T09:00:00Z", runs("0 9 LW * ? *", "2024-03-01T00:00:00Z", 1).get(0)); // 31 March 2024 is a Sunday
        assertEquals(List.of("2024-03-29T12:00:00Z", "2024-04-26T12:00:00Z"), runs("0 12 ? * 6L *", "2024-03-01T00:00:00Z", 2)); // last Friday
        assertEquals(List.of("2024-03-12T12:00:00Z", "2024-04-09T12:00:00Z"), runs("0 12 ? * 3#2 *", "2024-03-01T00:00:00Z", 2)); // second Tuesday
        assertEquals(List.of("2024-03-02T12:00:00Z", "2024-03-09T12:00:00Z"), runs("0 12 ? * L *", "2024-03-01T13:00:00Z", 2)); // L alone: Saturday
    }

    @Test
    void yearsAndMonthNames() {
        assertEquals(List.of("2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z"), runs("0 0 1 1 ? 2030-2031", "2024-05-05T00:00:00Z", 2));
        assertEquals(List.of("2024-07-04T12:00:00Z", "2024-12-04T12:00:00Z"), runs("0 12 4 JUL,DEC ? *", "2024-01-01T00:00:00Z", 2));
        Schedule past = AwsCron.parseDeta("0 0 1 1 ? 2020");
        assertThrows(IllegalStateException.class, () -> past.first(Instant.parse("2024-01-01T00:00:00Z")));
    }

    @Test
    void ratesAreRatesAndNeverUnderAMinute() {
        assertInstanceOf(Schedule.Rate.class, AwsCron.parseDeta("5 minutes"));
        assertEquals("1 minute", AwsCron.parseDeta("1 minute").toString());
        assertTrue(refused("30 seconds").contains("under one minute"));
        assertTrue(refused("0 minutes").contains("positive"));
        assertTrue(refused("1 minutes").contains("write '1 minute'"));
    }

    @Test
    void whatDetaRefusedIsRefusedNamingTheRule() {
        assertTrue(refused("0 10 * * * *").contains("use ? in exactly one of them"));
        assertTrue(refused("0 10 ? * ? *").contains("has ? in both day fields"));
        assertTrue(refused("? 10 * * ? *").contains("'?' is only allowed in the day-of-month and day-of-week fields, not in the minutes field"));
        assertTrue(refused("0 10 * * ?").contains("six fields"), refused("0 10 * * ?")); // Space's five fields are not Deta's
        assertTrue(refused("0 24 * * ? *").contains("the hours 24 is out of range 0-23"));
        assertTrue(refused("0 10 ? * 8 *").contains("out of range 1-7"));
        assertTrue(refused("0 10 ? * 3#6 *").contains("out of range 1-5"));
        assertTrue(refused("0 10 ? * 2W *").contains("W is only allowed in the day-of-month field"));
        assertTrue(refused("0 10 * * ? 1969").contains("out of range 1970-2199"));
        assertTrue(refused("0 10 5-1 * ? *").contains("runs backwards"));
        assertTrue(refused("every day").contains("is not a rate"));
        assertTrue(refused("0 0 10 * * ? *").contains("neither a rate"));
    }
}
