package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;


/**
 * Mutated real Spacefiles (byte flips, truncations, duplicated lines, inserted tabs, quotes and
 * YAML indicators) must each end in a result or clear problems: never another exception.
 */
class FuzzTest {
    private static final Path REAL = Path.of("test/fixtures/spacefiles/real");
    private static final String INSERTS = "\t\"':-*&!|>{}[]#,? \n";

    static List<String> corpus() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(REAL)) {
            for (Path p : (Iterable<Path>) files.sorted()::iterator)
                if (p.toString().endsWith(".Spacefile")) out.add(Files.readString(p, StandardCharsets.UTF_8));
        }
        return out;
    }

    static String mutate(String s, Random r) {
        StringBuilder sb = new StringBuilder(s);
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits && sb.length() > 0; e++) {
            int at = r.nextInt(sb.length() + 1);
            switch (r.nextInt(7)) {
                case 0 -> { // flip a character to any byte-range character
                    if (at < sb.length()) sb.setCharAt(at, (char) r.nextInt(256));
                }
                case 1 -> sb.setLength(Math.min(at, sb.length())); // truncate
                case 2 -> { // duplicate a line
                    String t = sb.toString();
                    int start = t.lastIndexOf('\n', Math.max(0, at - 1)) + 1, end = t.indexOf('\n', at);
                    if (end < 0) end = t.length();
                    if (start <= end) sb.insert(start, t.substring(start, end) + "\n");
                }
                case 3 -> sb.insert(at, '\t');
                case 4 -> sb.insert(at, r.nextBoolean() ? '"' : '\'');
                case 5 -> sb.insert(at, INSERTS.charAt(r.nextInt(INSERTS.length())));
                default -> { // delete a run
                    if (at < sb.length()) sb.delete(at, Math.min(sb.length(), at + 1 + r.nextInt(8)));
                }
            }
        }
        return sb.toString();
    }

    /** Parses every mutant; returns the slowest parse in nanoseconds. */
    static long fuzz(int mutants, long seed) throws IOException {
        List<String> corpus = corpus();
        Random r = new Random(seed);
        Path file = Path.of("/nonexistent-fuzz/Spacefile");
        long slowest = 0;
        for (int i = 0; i < mutants; i++) {
            String m = mutate(corpus.get(r.nextInt(corpus.size())), r);
            long t0 = System.nanoTime();
            try {
                Reading reading = SpacefileReader.parse(m, file);
                if (!reading.valid()) {
                    assertFalse(reading.problems().isEmpty(), "an invalid reading names its problems");
                    for (Problem p : reading.problems()) {
                        assertTrue(p.line() >= 1 && p.column() >= 1, () -> "position of " + p + " for:\n" + m);
                        assertFalse(p.message().isBlank(), () -> "empty message for:\n" + m);
                    }
                }
            } catch (RuntimeException | StackOverflowError e) {
                fail("mutant " + i + " (seed " + seed + ") threw " + e + " for input:\n" + m, e);
            }
            slowest = Math.max(slowest, System.nanoTime() - t0);
        }
        return slowest;
    }

    @Test
    void mutatedSpacefilesNeverThrow() {
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> fuzz(5_000, 42), "the parser loops on some input");
    }

    @Test
    @Tag("slow")
    void fullSizeFuzzingStaysFastAndThrowsNothing() {
        long slowest = assertTimeoutPreemptively(Duration.ofMinutes(10), () -> fuzz(200_000, System.nanoTime()));
        System.out.printf("stress: fuzzing: 200000 mutated Spacefiles, no exception, slowest parse %.2f ms%n", slowest / 1e6);
        assertTrue(slowest < 1_000_000_000L, "a parse took " + slowest / 1_000_000 + " ms");
    }
}
