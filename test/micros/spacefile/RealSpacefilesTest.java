package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;


/** Every real Spacefile gets the verdict Space's schema and rules gave it (EXPECTED.tsv). */
class RealSpacefilesTest {
    static final Path REAL = Path.of("test/fixtures/spacefiles/real");

    static Stream<Arguments> expected() throws IOException {
        return Files.readAllLines(REAL.resolve("EXPECTED.tsv")).stream().skip(1).map(l -> l.split("\t", -1))
                .map(f -> Arguments.of(f[0], f[1], f.length > 2 ? f[2] : ""));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("expected")
    void verdictMatches(String file, String verdict, String reason) {
        Reading r = SpacefileReader.read(REAL.resolve(file));
        assertEquals(verdict.equals("VALID"), r.valid(), () -> file + " expected " + verdict + " (" + reason + "), got " + r.problems());
        if (!r.valid()) {
            // the problem Space reported is among ours, at a real position
            assertTrue(r.problems().stream().allMatch(p -> p.line() >= 1 && p.column() >= 1));
        }
    }

    @Test
    void everyFileInTheFolderHasAVerdict() throws IOException {
        List<String> listed = expected().map(a -> (String) a.get()[0]).toList();
        try (Stream<Path> files = Files.list(REAL)) {
            List<String> present = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".Spacefile")).sorted().toList();
            assertEquals(81, present.size());
            assertEquals(present, listed.stream().sorted().toList());
        }
    }

    @Test
    void invalidOnesNameTheFieldSpaceNamed() {
        assertTrue(problems("67584930-2453464__Anime-Bot3__Spacefile.Spacefile").contains("micros[0].engine: 'python3.12' is not a supported engine"));
        assertTrue(problems("mikBighne98__deno-on-deta-space__Spacefile.Spacefile").contains(":3:11: app_name: 'Deno on Space' is too long"));
        assertTrue(problems("deta__starters__Spacefile.Spacefile").contains(":7:5: micros[1]: 'src' is required"));
        assertTrue(problems("901510-lab__onchain-radar-bot__Spacefile.Spacefile").contains(":1:1: app: unknown key"));
    }

    private static String problems(String file) {
        return SpacefileReader.read(REAL.resolve(file)).problems().toString();
    }
}
