package micros.runtime;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

import micros.util.UserError;

/**
 * The project's state folder ({@code .micros/} beside the Spacefile, or MICROS_STATE_DIR):
 * the stable project key, and what the running emulator publishes for `trigger`.
 */
public final class StateDir {
    private static final String ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static volatile SecureRandom fallback;
    private final Path dir;

    private StateDir(Path dir) {
        this.dir = dir;
    }

    public static StateDir of(Path projectRoot) {
        String override = System.getenv("MICROS_STATE_DIR");
        return new StateDir(override != null && !override.isEmpty() ? Path.of(override) : projectRoot.resolve(".micros"));
    }

    public Path path() {
        return dir;
    }

    /** Creates the folder (ignored by git from inside) or says in one sentence why it cannot. */
    public StateDir create() {
        try {
            Files.createDirectories(dir);
            Path ignore = dir.resolve(".gitignore");
            if (!Files.exists(ignore)) Files.writeString(ignore, "# micros' state: never commit it\n*\n");
            return this;
        } catch (IOException e) {
            throw cannotWrite(e);
        }
    }

    private UserError cannotWrite(IOException e) {
        String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e.getMessage() != null && e.getMessage().contains("No space") ? "the disk is full" : e.toString();
        return UserError.runtime("cannot write micros' state folder " + dir + " (" + why
                + "): make it writable, or point MICROS_STATE_DIR at a writable folder");
    }

    /** DETA_PROJECT_KEY: {@code <projectid>_<secret>}, created once per project and kept. */
    public String projectKey() {
        Path f = dir.resolve("project-key");
        try {
            if (Files.exists(f)) {
                String key = Files.readString(f).strip();
                if (key.matches("[a-z0-9]{8}_[A-Za-z0-9]{32}")) return key;
            }
            String key = random(8, ALPHANUMERIC) + "_" + random(32, ALPHANUMERIC + "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
            writePrivate(f, key + "\n");
            return key;
        } catch (IOException e) {
            throw cannotWrite(e);
        }
    }

    /** Publishes the running emulator's address and credentials (readable by this user only). */
    public void writeRun(Map<String, String> info) {
        StringBuilder sb = new StringBuilder("# the running micros emulator; removed when it stops\n");
        new TreeMap<>(info).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        try {
            writePrivate(dir.resolve("run.properties"), sb.toString());
        } catch (IOException e) {
            throw cannotWrite(e);
        }
    }

    public Optional<Map<String, String>> readRun() {
        Path f = dir.resolve("run.properties");
        if (!Files.exists(f)) return Optional.empty();
        try {
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(f)));
            Map<String, String> m = new TreeMap<>();
            p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
            return Optional.of(m);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Removes the run file if it is this process's. */
    public void clearRun(long pid) {
        readRun().ifPresent(m -> {
            if (String.valueOf(pid).equals(m.get("pid"))) {
                try {
                    Files.deleteIfExists(dir.resolve("run.properties"));
                } catch (IOException ignored) {
                    // nothing else to do on the way out
                }
            }
        });
    }

    private static void writePrivate(Path f, String text) throws IOException {
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, text);
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static String random(int n, String alphabet) {
        byte[] bytes = randomBytes(n * 2);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int v = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
            sb.append(alphabet.charAt(v % alphabet.length())); // 16 random bits over <= 62 symbols: a negligible bias
        }
        return sb.toString();
    }

    /** The kernel's randomness; SecureRandom (slow to set up at start) only where /dev/urandom is missing. */
    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        try (java.io.InputStream in = Files.newInputStream(Path.of("/dev/urandom"))) {
            if (in.readNBytes(b, 0, n) == n) return b;
        } catch (IOException ignored) {
            // not Linux-like: below
        }
        if (fallback == null) fallback = new SecureRandom();
        fallback.nextBytes(b);
        return b;
    }

    public static String token() {
        return random(40, ALPHANUMERIC + "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    }
}
