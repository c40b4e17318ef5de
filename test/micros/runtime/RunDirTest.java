package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** micros-run-* folders never outlive their run: deleted at exit, and after a crash by the next run. */
class RunDirTest {
    @TempDir
    Path tmp;

    /** Holds a run folder in another process until killed (a run that crashes). */
    public static void main(String[] args) throws Exception {
        RunDir d = RunDir.create(Path.of(args[0]));
        System.out.println(d.path());
        System.out.flush();
        Thread.sleep(60_000);
    }

    private Process holder() throws Exception {
        String javaCmd = ProcessHandle.current().info().command().orElse("java");
        String cp = Path.of(RunDirTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()) + java.io.File.pathSeparator
                + Path.of(RunDir.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return new ProcessBuilder(javaCmd, "-cp", cp, RunDirTest.class.getName(), tmp.toString())
                .redirectErrorStream(true).start();
    }

    @Test
    void aKilledRunsFolderIsDeletedByTheNextRunAndALiveOneIsKept() throws Exception {
        Process crashed = holder(), alive = holder();
        try {
            Path crashedDir = Path.of(new BufferedReader(new InputStreamReader(crashed.getInputStream())).readLine());
            Path aliveDir = Path.of(new BufferedReader(new InputStreamReader(alive.getInputStream())).readLine());
            crashed.destroyForcibly().waitFor();
            assertTrue(Files.isDirectory(crashedDir), crashedDir.toString());
            Files.setLastModifiedTime(crashedDir.resolve(".lock"), FileTime.from(Instant.now().minus(1, ChronoUnit.MINUTES)));
            Files.setLastModifiedTime(aliveDir.resolve(".lock"), FileTime.from(Instant.now().minus(1, ChronoUnit.MINUTES)));
            try (RunDir next = RunDir.create(tmp)) {
                assertFalse(Files.exists(crashedDir), "the killed run's folder is gone");
                assertTrue(Files.isDirectory(aliveDir), "a running run's folder is kept");
                try (RunDir second = RunDir.create(tmp)) {
                    assertTrue(Files.isDirectory(next.path()), "a run of this same process is kept");
                }
            }
        } finally {
            alive.destroyForcibly().waitFor();
        }
    }

    @Test
    void closingDeletesTheFolder() throws Exception {
        RunDir d = RunDir.create(tmp);
        Files.writeString(d.path().resolve("x"), "x");
        d.close();
        assertFalse(Files.exists(d.path()));
    }

    @Test
    void foldersOfOlderVersionsWithoutALockGoOnceADayOld() throws Exception {
        Path old = Files.createDirectory(tmp.resolve("micros-run-oldversion01")), recent = Files.createDirectory(tmp.resolve("micros-run-oldversion02"));
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(2, ChronoUnit.DAYS)));
        RunDir.create(tmp).close();
        assertFalse(Files.exists(old));
        assertTrue(Files.exists(recent), "maybe a running older micros");
    }

    @Test
    void checkingASiblingRunOfThisProcessDoesNotUnlockIt() throws Exception {
        try (RunDir live = RunDir.create(tmp)) {
            // aged from another process: Java's setLastModifiedTime opens the file, and closing it would drop this process's lock
            assertEquals(0, new ProcessBuilder("touch", "-d", "1 minute ago", live.path().resolve(".lock").toString()).start().waitFor());
            RunDir.create(tmp).close(); // a second run in this JVM looks at the first one's folder
            Process other = holder(); // another process then cleans: the first run's lock must still hold
            try {
                new BufferedReader(new InputStreamReader(other.getInputStream())).readLine();
                assertTrue(Files.isDirectory(live.path()), "a live run's folder survives another process's cleaning");
            } finally {
                other.destroyForcibly().waitFor();
            }
        }
    }
}
