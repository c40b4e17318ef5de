package micros.data.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool of open log files under churn: six bases share two open files while six writers put
 * into them at random (group commits, files closed and reopened between writes, compactions
 * swapping files under leases) and readers query them. Every acknowledged write is there after
 * a reopen, and no file stays open beyond the cap once the writers are done.
 */
class OpenLogsTest {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesChurnAndCompaction() throws Exception {
        int bases = 6, writers = 6, writes = 60;
        String pad = "p".repeat(100 * 1024); // 36 MB in all: each log passes 4 MB and is compacted
        OpenLogs files = new OpenLogs(2);
        List<String> warnings = new ArrayList<>();
        List<Base> open = new ArrayList<>();
        for (int b = 0; b < bases; b++) open.add(new Base("b" + b, dir.resolve("b" + b + ".log"), warnings, files));
        long[][] acked = new long[bases][writers]; // the last value each writer had acknowledged per base (under its own key)
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(writers + 2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                done.add(threads.submit(() -> {
                    for (long n = 1; n <= writes; n++) {
                        int b = (int) ((id + n) % bases); // each base gets writes * writers / bases puts, from every writer
                        Map<String, Object> item = Items.prepare(Map.of("key", "w" + id, "n", n, "pad", pad));
                        open.get(b).write((base, r) -> r.put.add(item));
                        acked[b][id] = n;
                    }
                    return null;
                }));
            }
            List<Future<Integer>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(threads.submit(() -> {
                    int pages = 0;
                    while (writing.get()) {
                        for (Base b : open) {
                            b.query(Query.parse(Map.of("n?gt", 0L)), 10, null, false, Base.PAGE_SCAN_BYTES);
                            b.get("w0");
                            pages++;
                        }
                    }
                    return pages;
                }));
            }
            for (Future<?> f : done) f.get();
            writing.set(false);
            for (Future<Integer> f : readers) assertTrue(f.get() > 0);
        } finally {
            writing.set(false);
            threads.shutdownNow();
        }
        assertEquals(2, openIn(dir), "six idle bases with a cap of 2");
        for (int b = 0; b < bases; b++) {
            long size = Files.size(dir.resolve("b" + b + ".log"));
            assertTrue(size < (long) writes * pad.length(), "b" + b + ".log was never compacted: " + size + " bytes");
        }
        for (Base b : open) b.close();
        assertEquals(0, openIn(dir), "closed bases hold no files");

        OpenLogs again = new OpenLogs(2);
        for (int b = 0; b < bases; b++) {
            try (Base base = new Base("b" + b, dir.resolve("b" + b + ".log"), warnings, again)) {
                for (int w = 0; w < writers; w++) {
                    assertEquals(acked[b][w], base.get("w" + w).get("n"), "base b" + b + ", writer " + w);
                }
            }
        }
        assertEquals(List.of(), warnings);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(bases, left.count(), "no compaction file left behind");
        }
    }

    /** Files of {@code dir} this process holds open (its descriptors' links). */
    private long openIn(Path dir) throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(f -> {
                try {
                    return Files.readSymbolicLink(f).startsWith(dir);
                } catch (Exception e) {
                    return false; // closed meanwhile (the listing's own descriptor)
                }
            }).count();
        }
    }
}
