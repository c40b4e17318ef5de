package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class LogTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private Log log(Log.Format f, boolean color) {
        Log l = new Log(new PrintStream(out, true, StandardCharsets.UTF_8), f, color);
        l.names(List.of("api", "frontend"));
        return l;
    }

    private String text() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void textLinesArePaddedAndPrefixed() {
        Log l = log(Log.Format.TEXT, false);
        l.micro("api", "stdout", "hello");
        l.event("something happened");
        String[] lines = text().split("\n");
        assertTrue(lines[0].matches("[0-9]{2}:[0-9]{2}:[0-9]{2} api      \\| hello"), lines[0]);
        assertTrue(lines[1].matches("[0-9]{2}:[0-9]{2}:[0-9]{2} micros   \\| something happened"), lines[1]);
        assertFalse(text().contains("\u001b"), "no colour when not asked");
    }

    @Test
    void colourIsOnlyAddedWhenWanted() {
        log(Log.Format.TEXT, true).micro("api", "stdout", "x");
        assertTrue(text().contains("\u001b[36mapi"), text());
    }

    @Test
    void jsonIsOneObjectPerLineWithEscapes() {
        log(Log.Format.JSON, true).micro("api", "stderr", "a \"quoted\" \\ line\twith tab");
        String line = text().strip();
        assertTrue(line.startsWith("{\"time\":\""), line);
        assertTrue(line.endsWith(",\"micro\":\"api\",\"stream\":\"stderr\",\"text\":\"a \\\"quoted\\\" \\\\ line\\twith tab\"}"), line);
        assertFalse(line.contains("\u001b"));
    }

    @Test
    void secretsAreRedactedEverywhere() {
        Log l = log(Log.Format.TEXT, false);
        l.secret("s3cr3t-token");
        l.micro("api", "stdout", "the token is s3cr3t-token!");
        assertTrue(text().contains("the token is [redacted]!"), text());
        assertFalse(text().contains("s3cr3t"));
    }

    @Test
    void linesReachListeners() {
        Log l = log(Log.Format.TEXT, false);
        List<Log.Line> seen = new java.util.ArrayList<>();
        l.listen(seen::add);
        l.micro("frontend", "stdout", "x");
        assertEquals(1, seen.size());
        assertEquals("frontend", seen.get(0).micro());
    }

    private static final String NASTY = "\u001b]0;TITLE\u0007\u001b[2J\u001b[H\u001b[31mred\u001b[0m bell\u0007 nul\u0000 c1\u0085 \u009b2J ls\u2028end\u001bc";

    @Test
    void onATerminalAMicrosColoursStayButNoOtherControlSequence() {
        log(Log.Format.TEXT, true).micro("api", "stdout", NASTY);
        String line = text().substring(text().indexOf("|\u001b[0m ") + 6).strip();
        assertEquals("\u001b[31mred\u001b[0m bell nul c1  ls" + "end", line);
    }

    @Test
    void offATerminalAndInJsonEveryControlSequenceIsDropped() {
        log(Log.Format.TEXT, false).micro("api", "stdout", NASTY);
        assertTrue(text().endsWith("| red bell nul c1  lsend\n"), text());
        out.reset();
        log(Log.Format.JSON, true).micro("api", "stdout", NASTY);
        assertTrue(text().contains("\"text\":\"red bell nul c1  lsend\""), text());
    }
}
