package micros.http;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** The Date header's value, made once a second rather than per response. */
final class Dates {
    private static volatile long second = -1;
    private static volatile String text = "";

    private Dates() {}

    static String now() {
        long s = System.currentTimeMillis() / 1000;
        if (s != second) {
            text = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
            second = s;
        }
        return text;
    }
}
