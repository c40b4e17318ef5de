package micros.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import micros.data.base.BaseImport;
import micros.data.drive.DriveService;
import micros.data.drive.DriveStore;
import micros.util.PrivateFiles;
import micros.util.UserError;

/**
 * Space's Data Export: a zip with {@code bases/<name>.json} (a Base's items: a JSON array, or an
 * object holding {@code items}) and {@code drives/<drive>/<file name>}. Loaded into, and written
 * from, the app's data. A single top-level folder around them is accepted too.
 *
 * <p>Both stream: an import reads each Base export an item at a time, checks it by Base's rules
 * and stages it in a new log beside the base's; an export writes each item's text from the log as
 * it is. Memory holds one item (and the bases' indexes), whatever the export's size. An import is
 * checked whole before it changes anything: what it would overwrite, each entry's size against
 * Drive's largest file and the free disk (declared sizes first, then the bytes actually written,
 * since a zip's sizes can lie), every item against Base's rules. Staged logs and Drive files are
 * swapped in by renames only once every entry has passed, so a refusal changes nothing.
 */
public final class ExportZip {
    private ExportZip() {}

    /** Disk space an import leaves free, so the running app still has room for its writes. */
    static final long DISK_SPARE = 64L << 20;

    public record Counts(int bases, long items, int drives, long files) {
        public String describe() {
            return bases + (bases == 1 ? " base (" : " bases (") + items + (items == 1 ? " item), " : " items), ")
                    + drives + (drives == 1 ? " drive (" : " drives (") + files + (files == 1 ? " file)" : " files)");
        }
    }

    private record Entry(ZipEntry zip, String kind, String container, String name) {}

    /** What the entries may still take of the disk. */
    private static final class Budget {
        final long disk;
        long left;

        Budget(Path dataDir) throws IOException {
            disk = Math.max(0, Files.getFileStore(dataDir).getUsableSpace() - DISK_SPARE);
            left = disk;
        }

        /** The most an entry may take now (a Drive file: at most Drive's largest). */
        long limit(Entry e) {
            return e.kind.equals("bases") ? left : Math.min(left, DriveService.MAX_FILE);
        }

        void take(long bytes) {
            left -= bytes;
        }

        /** The one sentence for an entry that takes more than {@link #limit}. */
        UserError refuse(Entry e, long atLeast) {
            if (e.kind.equals("bases"))
                return UserError.config(e.zip.getName() + " needs more than the free disk space of the app's data folder (" + mb(disk) + ", keeping " + mb(DISK_SPARE)
                        + " spare) for its items, staged and then written again in key order; nothing was imported");
            String what = e.zip.getName() + " expands to " + (atLeast > 0 ? mb(atLeast) : "more than " + mb(limit(e)));
            if (e.kind.equals("drives") && DriveService.MAX_FILE <= left)
                return UserError.config(what + ", past Drive's largest file (" + mb(DriveService.MAX_FILE) + ": 10,000 parts of 10 MB); nothing was imported");
            return UserError.config(what + ", more than the free disk space of the app's data folder (" + mb(disk) + ", keeping " + mb(DISK_SPARE)
                    + " spare); nothing was imported");
        }

        private static String mb(long bytes) {
            return String.format(java.util.Locale.ROOT, "%,d MB", (bytes + (1 << 20) - 1) >> 20);
        }
    }

    /** Loads an export; refuses (changing nothing) when it would overwrite data and {@code replace} is off, or does not fit. */
    public static Counts load(Path zip, DataServer data, boolean replace) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile(), StandardCharsets.UTF_8)) {
            List<Entry> entries = entries(z);
            if (entries.isEmpty()) throw UserError.config(zip + " holds no bases/<name>.json and no drives/<drive>/ files: is it a Space Data Export?");
            Map<String, Entry> bases = new LinkedHashMap<>();
            Map<String, List<Entry>> drives = new LinkedHashMap<>();
            for (Entry e : entries) {
                if (e.kind.equals("bases")) bases.put(e.container, e); // a base named twice: the last entry, as the export's own order says
                else drives.computeIfAbsent(e.container, k -> new ArrayList<>()).add(e);
            }
            DriveStore store = data.drive().store();
            if (!replace) {
                List<String> clashes = new ArrayList<>();
                for (String b : bases.keySet()) if (data.base().count(b) > 0) clashes.add("base '" + b + "' (" + data.base().count(b) + " items)");
                for (var d : drives.entrySet()) {
                    long n = d.getValue().stream().filter(e -> store.file(d.getKey(), e.name) != null).count();
                    if (n > 0) clashes.add("drive '" + d.getKey() + "' (" + n + " of its files)");
                }
                if (!clashes.isEmpty())
                    throw UserError.config("the app already has data the export would overwrite: " + String.join(", ", clashes) + "; pass --replace to overwrite it");
            }
            // the declared sizes of the files first: nothing is read when they already do not fit
            Budget declared = new Budget(data.dataDir());
            for (Entry e : entries) {
                if (!e.kind.equals("drives")) continue;
                long size = Math.max(0, e.zip.getSize());
                if (size > declared.limit(e)) throw declared.refuse(e, size);
                declared.take(size);
            }
            Budget budget = new Budget(data.dataDir());
            Map<Entry, BaseImport> stagedBases = new LinkedHashMap<>();
            Map<Entry, DriveStore.Staged> staged = new LinkedHashMap<>();
            try {
                for (Entry e : bases.values()) {
                    BaseImport imp;
                    try {
                        imp = data.base().stage(e.container);
                    } catch (IllegalArgumentException bad) {
                        throw UserError.config(e.zip.getName() + ": " + bad.getMessage() + "; nothing was imported");
                    }
                    stagedBases.put(e, imp);
                    try (InputStream in = z.getInputStream(e.zip)) {
                        ExportItems.read(in, e.zip.getName(), (b, length, depth, n) -> stageItem(e, imp, b, length, depth, n, budget));
                    }
                    budget.take(2 * imp.bytes());
                }
                for (List<Entry> files : drives.values()) {
                    for (Entry e : files) {
                        DriveStore.Staged s;
                        try (InputStream in = z.getInputStream(e.zip)) {
                            s = store.stage(in, budget.limit(e));
                        }
                        if (s == null) throw budget.refuse(e, 0);
                        staged.put(e, s);
                        budget.take(s.size());
                    }
                }
                // every entry passed: now the swaps (each Base's staged log renamed in; each file renamed in)
                long items = 0, files = 0;
                for (var b : stagedBases.entrySet()) {
                    b.getValue().commit(replace);
                    items += b.getValue().items();
                }
                for (var d : drives.entrySet()) {
                    Set<String> names = new LinkedHashSet<>();
                    for (Entry e : d.getValue()) {
                        store.commit(staged.remove(e), d.getKey(), e.name);
                        names.add(e.name);
                        files++;
                    }
                    if (replace) for (String old : store.names(d.getKey())) if (!names.contains(old)) store.delete(d.getKey(), old); // the drive becomes the export's
                }
                return new Counts(bases.size(), items, drives.size(), files);
            } finally {
                for (BaseImport imp : stagedBases.values()) imp.close(); // those not committed: their staged logs deleted
                for (DriveStore.Staged s : staged.values()) store.discard(s);
            }
        } catch (java.util.zip.ZipException e) {
            throw UserError.config(zip + " is not a readable zip file (" + e.getMessage() + ")");
        }
    }

    /** Checks one item of a Base export and stages it; the one sentence naming the entry and the item when it cannot be. */
    private static void stageItem(Entry e, BaseImport imp, byte[] b, int length, int depth, long n, Budget budget) throws IOException {
        Object item;
        try {
            item = BaseImport.parse(b, 0, length, depth);
        } catch (IllegalArgumentException bad) {
            throw UserError.config(e.zip.getName() + " is not JSON micros can read (" + bad.getMessage() + "); nothing was imported");
        }
        if (!(item instanceof Map<?, ?>)) throw UserError.config(e.zip.getName() + ": item " + n + " is not a JSON object; nothing was imported");
        try {
            imp.add(item);
        } catch (IllegalArgumentException bad) {
            throw UserError.config(e.zip.getName() + ": item " + n + ": " + bad.getMessage() + "; nothing was imported");
        }
        if (2 * imp.bytes() > budget.limit(e)) throw budget.refuse(e, 0); // staged, then written again in key order: twice, for a moment
    }

    private static List<Entry> entries(ZipFile z) {
        List<Entry> out = new ArrayList<>();
        Enumeration<? extends ZipEntry> all = z.entries();
        while (all.hasMoreElements()) {
            ZipEntry ze = all.nextElement();
            if (ze.isDirectory()) continue;
            String n = ze.getName();
            while (n.startsWith("./")) n = n.substring(2);
            if (!n.startsWith("bases/") && !n.startsWith("drives/")) { // one folder around the export
                int slash = n.indexOf('/');
                if (slash < 0) continue;
                n = n.substring(slash + 1);
            }
            if (n.startsWith("bases/") && n.endsWith(".json") && n.indexOf('/', 6) < 0 && n.length() > 11) {
                out.add(new Entry(ze, "bases", n.substring(6, n.length() - 5), null));
            } else if (n.startsWith("drives/")) {
                int slash = n.indexOf('/', 7);
                if (slash <= 7 || slash == n.length() - 1) continue;
                String drive = n.substring(7, slash), name = n.substring(slash + 1);
                String bad = DriveStore.invalidDriveReason(drive) != null ? DriveStore.invalidDriveReason(drive) : DriveStore.invalidNameReason(name);
                if (bad != null) throw UserError.config(ze.getName() + ": " + bad + "; nothing was imported");
                out.add(new Entry(ze, "drives", drive, name));
            }
        }
        return out;
    }

    private static final byte[] NEWLINE = {'\n'}, COMMA_NEWLINE = {',', '\n'}, CLOSE = {'\n', ']', '\n'};

    /** Writes every Base and Drive of the app as an export (to a temporary name, renamed when complete). */
    public static Counts write(Path zip, DataServer data) throws IOException {
        Path abs = zip.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".part");
        long items = 0, files = 0;
        int bases = 0, drives = 0;
        Files.deleteIfExists(tmp); // an export cut short: created anew, 0600 (it holds all of the app's data)
        try (OutputStream os = java.nio.channels.Channels.newOutputStream(PrivateFiles.open(tmp, StandardOpenOption.CREATE_NEW));
             ZipOutputStream out = new ZipOutputStream(os, StandardCharsets.UTF_8)) {
            BufferedOutputStream buffered = new BufferedOutputStream(out, 1 << 16);
            for (String b : data.base().names()) {
                out.putNextEntry(new ZipEntry("bases/" + b + ".json"));
                long[] n = {0};
                buffered.write('[');
                data.base().eachItem(b, (text, from, length) -> { // the items' text as the log holds it: one at a time
                    buffered.write(n[0]++ == 0 ? NEWLINE : COMMA_NEWLINE);
                    buffered.write(text, from, length);
                });
                buffered.write(CLOSE);
                buffered.flush();
                out.closeEntry();
                bases++;
                items += n[0];
            }
            DriveStore store = data.drive().store();
            for (String d : store.drives()) {
                drives++;
                for (String name : store.names(d)) {
                    Path f = store.file(d, name);
                    if (f == null) continue;
                    out.putNextEntry(new ZipEntry("drives/" + d + "/" + name));
                    Files.copy(f, out);
                    out.closeEntry();
                    files++;
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        return new Counts(bases, items, drives, files);
    }
}
