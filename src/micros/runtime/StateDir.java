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
                : e.getMessage() != null && e.getMessage().contains("No space") ? "the disk is full"
                : e instanceof java.nio.file.NoSuchFileException ? "it cannot be created there"
                : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason().toLowerCase(java.util.Locale.ROOT)
                : "it cannot be written";
        return UserError.runtime("cannot write micros' state folder " + dir + " (" + why
                + "): make it writable, or point MICROS_STATE_DIR at a writable folder");
    }

    /**
     * DETA_PROJECT_KEY: {@code <projectid>_<secret>}, created once per project and kept. Synchronized:
     * the data server's start and the runtime ask at once, and must not make two keys.
     */
    public synchronized String projectKey() {
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

    /** Whether {@code key} has the form of a project key ({@code <8 lowercase letters or digits>_<32 letters or digits>}). */
    public static boolean isProjectKey(String key) {
        return key != null && key.matches("[a-z0-9]{8}_[A-Za-z0-9]{32}");
    }

    /** Makes {@code key} the project's key from now on (`micros gateway` given the key its remote micros have). */
    public synchronized void adoptProjectKey(String key) {
        if (!isProjectKey(key)) throw new IllegalArgumentException("not a project key");
        try {
            Path f = dir.resolve("project-key");
            if (!Files.exists(f) || !Files.readString(f).strip().equals(key)) writePrivate(f, key + "\n");
        } catch (IOException e) {
            throw cannotWrite(e);
        }
    }

    /** Notes a micro's process (pid and its start time, so a recycled pid is never mistaken for it). */
    public synchronized void recordProcess(long pid) {
        try {
            String start = startTime(pid);
            if (start == null) return;
            Files.writeString(dir.resolve("processes"), pid + " " + start + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // the record only helps clean up after a killed run
        }
    }

    public synchronized void forgetProcess(long pid) {
        Path f = dir.resolve("processes");
        try {
            if (!Files.exists(f)) return;
            StringBuilder keep = new StringBuilder();
            for (String line : Files.readAllLines(f)) if (!line.startsWith(pid + " ")) keep.append(line).append('\n');
            Files.writeString(f, keep.toString());
        } catch (IOException ignored) {
            // best effort
        }
    }

    /**
     * Cleans what a run that was killed left: its micro processes (their whole process groups)
     * and its run file. Refuses to start next to a live run of the same project.
     * @param groupsRemoved micros just removed the cgroups of dead runs, ending what ran in them
     * @return a sentence for the log, or null when there was nothing to clean
     */
    public String cleanStale(boolean groupsRemoved) {
        Optional<Map<String, String>> run = readRun();
        Optional<Map<String, String>> live = liveRun();
        if (live.isPresent())
            throw UserError.runtime("micros is already running for this project (pid " + live.get().get("pid") + ", " + live.get().get("url")
                    + "): stop it first, or point MICROS_STATE_DIR elsewhere for a second one");
        int killed = 0;
        Path f = dir.resolve("processes");
        try {
            if (Files.exists(f)) {
                for (String line : Files.readAllLines(f)) {
                    String[] p = line.strip().split(" ");
                    if (p.length != 2) continue;
                    long pid = Long.parseLong(p[0]);
                    if (!p[1].equals(startTime(pid))) continue; // gone, or the pid now belongs to someone else
                    ProcessHandle h = ProcessHandle.of(pid).orElse(null);
                    if (h == null || !ProcessTree.running(h)) continue; // ended, and not yet collected by init
                    ProcessTree.kill(h);
                    killed++;
                }
                Files.delete(f);
            }
            if (run.isPresent()) Files.deleteIfExists(dir.resolve("run.properties"));
        } catch (IOException | RuntimeException ignored) {
            // best effort: the sentence below says what was done
        }
        if (run.isEmpty() && killed == 0) return null;
        return "cleaned up after a run that did not stop cleanly" + (run.isPresent() ? " (pid " + run.get().get("pid") + ")" : "")
                + ": " + (killed > 0 ? "stopped " + killed + " micro process" + (killed == 1 ? "" : "es") + " it left"
                : groupsRemoved ? "what it left running ended with its cgroups" : "no micro was still running");
    }

    /**
     * The run file, when the micros it names is running now. Never this process's own pid: a
     * container's first process restarted after a kill (or rescheduled with the same volume)
     * is PID 1 again, and finds the PID 1 its killed predecessor wrote.
     */
    public Optional<Map<String, String>> liveRun() {
        return readRun().filter(r -> {
            try {
                long pid = Long.parseLong(r.getOrDefault("pid", ""));
                return pid != micros.util.Pids.self() && isLiveMicros(pid);
            } catch (NumberFormatException e) {
                return false;
            }
        });
    }

    private static boolean isLiveMicros(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessTree::running).orElse(false)) return false;
        try {
            String cmd = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
            return cmd.contains("micros") || cmd.contains("java");
        } catch (IOException e) {
            return false;
        }
    }

    /** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null. */
    static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
        } catch (IOException | RuntimeException e) {
            return null;
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
