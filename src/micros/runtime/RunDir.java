package micros.runtime;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A run's private temporary folder, {@code micros-run-XXXX} in java.io.tmpdir. The run holds a
 * lock on its {@code .lock} file while it lives; the kernel drops the lock when the process
 * ends however it ends, so the next run deletes every folder whose lock it can take (a run
 * that crashed or was killed) once the lock file is 10 s old. Folders of older versions, without a {@code .lock}, are deleted
 * once a day old.
 */
final class RunDir implements AutoCloseable {
    static final String PREFIX = "micros-run-";
    private static final Duration LEGACY_AGE = Duration.ofDays(1), FRESH = Duration.ofSeconds(10);
    /**
     * This process's own live folders, never judged by their lock: on Linux, closing any
     * channel to a file drops every lock the process holds on it, so opening a sibling run's
     * .lock to test it would unlock that run for other processes.
     */
    private static final java.util.Set<Path> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Path path;
    private final FileChannel lockFile;

    private RunDir(Path path, FileChannel lockFile) {
        this.path = path;
        this.lockFile = lockFile;
    }

    Path path() {
        return path;
    }

    /** Deletes the folders earlier runs left in {@code tmp}, then makes this run's, locked. */
    static RunDir create(Path tmp) throws IOException {
        cleanStale(tmp);
        for (int attempt = 0; ; attempt++) {
            Path dir = tmp.resolve(PREFIX + StateDir.random(12, "abcdefghijklmnopqrstuvwxyz0123456789"));
            try {
                Path made = Files.createDirectory(dir);
                // readable by all: a sandboxed micro runs as another user and needs the launchers
                Files.setPosixFilePermissions(made, PosixFilePermissions.fromString("rwxr-xr-x"));
                FileChannel ch = FileChannel.open(made.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                ch.lock();
                LIVE.add(made);
                return new RunDir(made, ch);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) throw e;
            }
        }
    }

    /** Every micros-run-* folder of a run that is gone. */
    static void cleanStale(Path tmp) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, PREFIX + "*")) {
            for (Path d : dirs) if (Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS) && stale(d)) delete(d);
        } catch (IOException | RuntimeException ignored) {
            // an unreadable tmp: nothing to clean there
        }
    }

    private static boolean stale(Path dir) {
        if (LIVE.contains(dir)) return false;
        Path lock = dir.resolve(".lock");
        if (!Files.exists(lock)) {
            try {
                FileTime t = Files.getLastModifiedTime(dir);
                return t.toInstant().isBefore(Instant.now().minus(LEGACY_AGE));
            } catch (IOException e) {
                return false;
            }
        }
        try {
            // a run takes its lock just after making the file: a fresh lock may not be taken yet
            if (Files.getLastModifiedTime(lock).toInstant().isAfter(Instant.now().minus(FRESH))) return false;
        } catch (IOException e) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) return false; // a live run in another process holds it
            l.release();
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // a live run in this process (LIVE should have said so)
        } catch (IOException e) {
            return false; // another user's run: not ours to judge
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // half deleted: the next run tries again
        }
    }

    /** Releases the lock and deletes the folder. */
    @Override
    public void close() {
        LIVE.remove(path);
        try {
            lockFile.close();
        } catch (IOException ignored) {
            // the lock goes with the process anyway
        }
        delete(path);
    }
}
