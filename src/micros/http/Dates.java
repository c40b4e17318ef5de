package micros.http;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** The Date header's value, made once a second rather than per response. */
final class Dates {
    /** RFC 9110's IMF-fixdate: a two-digit day ("Tue, 01 Dec 2026 ..."), which RFC_1123_DATE_TIME does not give. */
    private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US);
    private static volatile long second = -1;
    private static volatile String text = "";

    private Dates() {}

    static String format(java.time.Instant t) {
        return IMF_FIXDATE.format(ZonedDateTime.ofInstant(t, ZoneOffset.UTC));
    }

    static String now() {
        long s = System.currentTimeMillis() / 1000;
        if (s != second) {
            text = IMF_FIXDATE.format(ZonedDateTime.now(ZoneOffset.UTC));
            second = s;
        }
        return text;
    }
}
