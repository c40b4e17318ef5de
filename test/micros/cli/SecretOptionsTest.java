package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.util.UserError;

/** Where the owner token and API keys come from: option, then file, then environment. */
class SecretOptionsTest {
    @TempDir
    Path dir;

    private static Options opts(String... args) {
        return Options.parse("run", List.of(args), RunOptions.flags(), RunOptions.valued());
    }

    @Test
    void anOptionWinsOverAFileAndAFileOverTheEnvironment() throws Exception {
        Path file = dir.resolve("owner");
        Files.writeString(file, "from-the-file-0123\n");
        Map<String, String> env = Map.of("MICROS_OWNER_TOKEN", "from-the-env-0123", "MICROS_API_KEYS", "k-env-1, k-env-2,");
        assertEquals("from-the-option-01", RunOptions.ownerToken(opts("--owner-token", "from-the-option-01", "--owner-token-file", file.toString()), env));
        assertEquals("from-the-file-0123", RunOptions.ownerToken(opts("--owner-token-file", file.toString()), env));
        assertEquals("from-the-env-0123", RunOptions.ownerToken(opts(), env));
        assertTrue(RunOptions.ownerToken(opts(), Map.of()).length() >= 16, "random when none is given");
        assertEquals(List.of("k-env-1", "k-env-2"), RunOptions.apiKeys(opts(), env));
        assertEquals(List.of("k-opt"), RunOptions.apiKeys(opts("--api-key", "k-opt"), env));
        UserError spaces = assertThrows(UserError.class, () -> RunOptions.ownerToken(opts(), Map.of("MICROS_OWNER_TOKEN", "has a space in it")));
        assertTrue(spaces.getMessage().startsWith("MICROS_OWNER_TOKEN: use printable ASCII"), spaces.getMessage());
    }
    /** Where each secret came from, as the start-up lines name it (null: random, so the text log may show it). */
    @Test
    void theStartUpLinesNameWhereAGivenSecretIs() throws Exception {
        Path file = dir.resolve("owner"), keys = dir.resolve("keys"), empty = dir.resolve("empty");
        Files.writeString(file, "from-the-file-0123\n");
        Files.writeString(keys, "k-file-1\n");
        Files.writeString(empty, "# none yet\n");
        Map<String, String> env = Map.of("MICROS_OWNER_TOKEN", "from-the-env-0123", "MICROS_API_KEYS", "k-env-1");
        assertEquals(new RunOptions.SecretSources("the --owner-token value", "the --api-key value and the lines of " + keys),
                RunOptions.sources(opts("--owner-token", "from-the-option-01", "--api-key", "k", "--api-key-file", keys.toString()), env));
        assertEquals(new RunOptions.SecretSources("the contents of " + file, "$MICROS_API_KEYS"),
                RunOptions.sources(opts("--owner-token-file", file.toString(), "--api-key-file", empty.toString()), env));
        assertEquals(new RunOptions.SecretSources("$MICROS_OWNER_TOKEN", "$MICROS_API_KEYS"), RunOptions.sources(opts(), env));
        assertEquals(new RunOptions.SecretSources(null, null), RunOptions.sources(opts(), Map.of()));
    }
}
