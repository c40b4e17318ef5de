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
}
