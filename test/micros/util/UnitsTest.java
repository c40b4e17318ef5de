package micros.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;

import org.junit.jupiter.api.Test;

/** Sizes print as they did with String.format, which the start-up path no longer loads. */
class UnitsTest {
    @Test
    void oneDecimalPrintsAsPercentPointOneF() {
        for (long bytes = 1; bytes < 1L << 24; bytes = bytes * 3 / 2 + 7) {
            double v = (double) bytes / 1024;
            assertEquals(String.format(Locale.ROOT, "%.1f", v), Units.oneDecimal(v), bytes + " bytes");
        }
        assertEquals("5.5 MiB", Units.formatSize(5_767_168));
        assertEquals("512 MiB", Units.formatSize(512L << 20));
        assertEquals("1.5 KiB", Units.formatSize(1536));
        assertEquals("100 bytes", Units.formatSize(100));
    }

    @Test
    void padRightPadsAsPercentMinusNs() {
        for (String s : new String[] {"", "a", "hello", "exactly8"})
            for (int width : new int[] {1, 5, 8, 12})
                assertEquals(String.format("%-" + width + "s", s), Units.padRight(s, width), s + "/" + width);
    }
}
