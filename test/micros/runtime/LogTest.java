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
    /** A secret with an escape sequence or an invisible character inside still reads as the secret: it is redacted all the same. */
    @Test
    void secretsSplitByEscapesOrInvisibleCharactersAreRedactedInEveryFormat() {
        String secret = "s3cr3t-token-0123";
        String[] splits = {"s3cr3\u001b[31mt-token-0123", "s3cr3\u001b]0;title\u0007t-token-0123", "s3cr3\u009b1mt-token-0123",
                "s3cr3\u200bt-token-0123", "s3cr3\u00adt-token-0123", "s3cr3\u202et-token-0123", "s3cr3\u001b[1;32mt-tok\u001b[0men-0123"};
        for (Log.Format f : Log.Format.values())
            for (boolean colour : new boolean[] {false, true}) {
                out.reset();
                Log l = log(f, colour);
                l.secret(secret);
                for (String s : splits) l.micro("api", "stdout", "is " + s + " here");
                String text = text();
                assertEquals(splits.length, text.split("is \\[redacted\\] here", -1).length - 1, f + ", colour " + colour + ": " + text);
                assertFalse(text.replaceAll("\u001b\\[[0-9;]*m", "").contains("s3cr3"), text);
                for (String s : splits) assertEquals("is [redacted] here", l.redact("is " + s + " here"), "what the dashboard shows");
            }
    }

    @Test
    void aLineWithoutASecretKeepsItsColoursOnATerminal() {
        Log l = log(Log.Format.TEXT, true);
        l.secret("s3cr3t-token-0123");
        l.micro("api", "stdout", "\u001b[31mred\u001b[0m and s3cr3t-token-012");
        assertTrue(text().contains("\u001b[31mred\u001b[0m and s3cr3t-token-012"), text());
    }

    /** DETA_PROJECT_KEY is {@code <projectid>_<secret>}: the secret half printed alone is redacted too, and the whole key as one. */
    @Test
    void theSecretHalfOfAProjectKeyIsRedactedAlone() {
        Log l = log(Log.Format.TEXT, false);
        String key = "abcd1234_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
        l.secret(key);
        l.micro("api", "stdout", "key " + key);
        l.micro("api", "stdout", "half " + key.substring(9));
        l.micro("api", "stdout", "half split ABCDEFGHIJ\u001b[0mKLMNOPQRSTUVWXYZ012345");
        assertTrue(text().contains("key [redacted]\n"), text());
        assertTrue(text().contains("half [redacted]\n"), text());
        assertTrue(text().contains("half split [redacted]\n"), text());
        assertFalse(text().contains("ABCDEFGHIJ"), text());
    }

    /** Bidirectional controls reorder what a reader sees ("txt.exe" shown as "exe.txt"): dropped like other control characters. */
    @Test
    void bidirectionalControlsAreDropped() {
        String bidi = "a\u202eb\u202ac\u202bd\u202ce\u202df\u2066g\u2067h\u2068i\u2069j\u200ek\u200fl\u061cm";
        for (Log.Format f : Log.Format.values()) {
            out.reset();
            log(f, true).micro("api", "stdout", bidi);
            assertTrue(text().contains("abcdefghijklm"), f + ": " + text());
        }
        assertEquals("abcdefghijklm", log(Log.Format.TEXT, false).redact(bidi), "the dashboard's lines too");
    }
}
