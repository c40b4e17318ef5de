package micros.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads and writes cgroup control files. Every write can be observed (tests record the protocol:
 * which file, which value, in which order).
 */
final class CgroupFiles {
    private final Consumer<String> journal;

    CgroupFiles(Consumer<String> journal) {
        this.journal = journal;
    }

    void write(Path file, String value) throws IOException {
        journal.accept("write " + file + " " + value);
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }

    /** Writes a file of an optional kernel feature (swap accounting, oom.group); false when the kernel lacks it. */
    boolean writeOptional(Path file, String value) {
        try {
            write(file, value);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes when the file exists (optional features: swap accounting, oom.group, cgroup.kill); false if absent. */
    boolean writeIfPresent(Path file, String value) throws IOException {
        if (!Files.exists(file)) return false;
        write(file, value);
        return true;
    }

    void mkdir(Path dir) throws IOException {
        journal.accept("mkdir " + dir);
        Files.createDirectory(dir);
    }

    /**
     * rmdir: a cgroup directory goes away with its control files. A plain folder (a test's fake tree) is emptied first.
     * A cgroup stays busy while its last tasks detach (an exiting task is in it until reaped): tried again for up to
     * 5 s, then left for the next start's stale cleanup, saying on stderr what still holds it.
     */
    void rmdir(Path dir) {
        journal.accept("rmdir " + dir);
        boolean cgroupFs = isCgroupFs(dir);
        long until = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try {
                Files.delete(dir);
                return;
            } catch (java.nio.file.NoSuchFileException e) {
                return;
            } catch (IOException e) {
                if (!cgroupFs) {
                    deleteTree(dir);
                    return;
                }
                if (System.nanoTime() > until) {
                    System.err.println("micros: cannot remove cgroup " + dir + " yet (" + e.getMessage() + "; " + holders(dir)
                            + "); the next start removes it");
                    return;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** What keeps a cgroup busy: its child groups and its members, for the message when it cannot be removed. */
    private static String holders(Path dir) {
        List<String> what = new ArrayList<>();
        try (java.util.stream.Stream<Path> in = Files.list(dir)) {
            in.filter(Files::isDirectory).forEach(d -> what.add("group " + d.getFileName()));
        } catch (IOException | RuntimeException ignored) {
            // gone meanwhile
        }
        for (String f : new String[] {"cgroup.procs", "cgroup.events"}) {
            try {
                String v = Files.readString(dir.resolve(f)).strip().replace('\n', ' ');
                if (!v.isEmpty()) what.add(f + ": " + v);
            } catch (IOException ignored) {
                // not in this hierarchy
            }
        }
        return what.isEmpty() ? "nothing left in it" : String.join(", ", what);
    }

    private static boolean isCgroupFs(Path dir) {
        try {
            String type = Files.getFileStore(dir).type();
            return type.startsWith("cgroup");
        } catch (IOException e) {
            return true;
        }
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }

    /** A "key value" line's value from files like memory.events, pids.events or memory.oom_control; -1 if absent. */
    static long field(Path file, String key) {
        String text = read(file);
        if (text == null) return -1;
        for (String line : text.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 2 && f[0].equals(key)) {
                try {
                    return Long.parseLong(f[1]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** A file holding one number ("max" reads as Long.MAX_VALUE); -1 if absent. */
    static long number(Path file) {
        String text = read(file);
        if (text == null) return -1;
        String t = text.strip();
        if (t.equals("max")) return Long.MAX_VALUE;
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The pids listed in cgroup.procs that are alive (a test's fake tree lists ended ones too). */
    static List<ProcessHandle> members(Path dir) {
        List<ProcessHandle> out = new ArrayList<>();
        String text = read(dir.resolve("cgroup.procs"));
        if (text == null) return out;
        long self = micros.util.Pids.self();
        for (String line : text.split("\n")) {
            String t = line.strip();
            if (t.isEmpty()) continue;
            try {
                long pid = Long.parseLong(t);
                if (pid != self) ProcessHandle.of(pid).filter(micros.runtime.ProcessTree::running).ifPresent(out::add);
            } catch (NumberFormatException ignored) {
                // not a pid
            }
        }
        return out;
    }
}
