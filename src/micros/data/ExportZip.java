package micros.data;

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

import micros.data.base.BaseService;
import micros.data.drive.DriveService;
import micros.data.drive.DriveStore;
import micros.util.Json;
import micros.util.PrivateFiles;
import micros.util.UserError;

/**
 * Space's Data Export: a zip with {@code bases/<name>.json} (a Base's items: a JSON array, or an
 * object holding {@code items}) and {@code drives/<drive>/<file name>}. Loaded into, and written
 * from, the app's data. A single top-level folder around them is accepted too.
 *
 * <p>An import is checked whole before it writes anything: each entry's size against Drive's
 * largest file, the free disk and the memory the Base items need (declared sizes first, then the
 * bytes actually decompressed, since a zip's sizes can lie), every item against Base's rules,
 * and what it would overwrite. Drive files are staged and only renamed into place once every
 * entry has passed, so a refusal changes nothing.
 */
public final class ExportZip {
    private ExportZip() {}

    /** Disk space an import leaves free, so the running app still has room for its writes. */
    static final long DISK_SPARE = 64L << 20;
    /** Parsed JSON takes up to ~32 times its text in memory: the Base exports of one import get at most this share of the free heap. */
    static final int HEAP_SHARE = 48;
    /** One bases/<name>.json is read as one string: at most 1 GB (a Java string holds ~2 GB, ~1 G characters beyond Latin-1). */
    static final long MAX_BASE_JSON = 1L << 30;

    public record Counts(int bases, long items, int drives, long files) {
        public String describe() {
            return bases + (bases == 1 ? " base (" : " bases (") + items + (items == 1 ? " item), " : " items), ")
                    + drives + (drives == 1 ? " drive (" : " drives (") + files + (files == 1 ? " file)" : " files)");
        }
    }

    private record Entry(ZipEntry zip, String kind, String container, String name) {}

    /** What the entries may still take: bytes of disk, and bytes of Base JSON held in memory. */
    private static final class Budget {
        final long disk, heap;
        long diskLeft, heapLeft;

        Budget(Path dataDir) throws IOException {
            Runtime rt = Runtime.getRuntime();
            disk = Math.max(0, Files.getFileStore(dataDir).getUsableSpace() - DISK_SPARE);
            heap = Math.max(0, (rt.maxMemory() - (rt.totalMemory() - rt.freeMemory())) / HEAP_SHARE);
            diskLeft = disk;
            heapLeft = heap;
        }

        /** The most an entry may expand to now (for bases also the memory to hold it). */
        long limit(Entry e) {
            return e.kind.equals("bases") ? Math.min(Math.min(diskLeft, heapLeft), MAX_BASE_JSON) : Math.min(diskLeft, DriveService.MAX_FILE);
        }

        void take(Entry e, long bytes) {
            diskLeft -= bytes;
            if (e.kind.equals("bases")) heapLeft -= bytes;
        }

        /** The one sentence for an entry that expands past {@link #limit}. */
        UserError refuse(Entry e, long atLeast) {
            String what = e.zip.getName() + " expands to " + (atLeast > 0 ? mb(atLeast) : "more than " + mb(limit(e)));
            if (e.kind.equals("drives") && DriveService.MAX_FILE <= diskLeft)
                return UserError.config(what + ", past Drive's largest file (" + mb(DriveService.MAX_FILE) + ": 10,000 parts of 10 MB); nothing was imported");
            if (e.kind.equals("bases") && MAX_BASE_JSON < Math.min(diskLeft, heapLeft))
                return UserError.config(what + ", past the " + mb(MAX_BASE_JSON) + " micros reads of one Base export (it is read whole until imports stream); nothing was imported");
            if (e.kind.equals("bases") && heapLeft < diskLeft)
                return UserError.config(what + ", more Base items than this import can hold in memory (" + mb(heap) + " of Base exports with this Java heap); "
                        + "nothing was imported: give Java more memory (java -Xmx" + moreHeapGb(atLeast) + "g -jar micros.jar data import ...)");
            return UserError.config(what + ", more than the free disk space of the app's data folder (" + mb(disk) + ", keeping " + mb(DISK_SPARE)
                    + " spare); nothing was imported");
        }

        /** Twice the heap, or what this entry needs if that is more, in whole GB with room to spare. */
        private static long moreHeapGb(long entryBytes) {
            return (Math.max(2 * Runtime.getRuntime().maxMemory(), entryBytes * HEAP_SHARE) >> 30) + 2;
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
            // the declared sizes first: nothing is read when they already do not fit
            Budget declared = new Budget(data.dataDir());
            for (Entry e : entries) {
                long size = Math.max(0, e.zip.getSize());
                if (size > declared.limit(e)) throw declared.refuse(e, size);
                declared.take(e, size);
            }
            Budget budget = new Budget(data.dataDir());
            Map<String, List<Object>> bases = new LinkedHashMap<>();
            Map<String, List<Entry>> drives = new LinkedHashMap<>();
            for (Entry e : entries) {
                if (e.kind.equals("bases")) {
                    List<Object> items = items(z, e, budget);
                    try {
                        BaseService.checkImport(e.container, items); // every item passes Base's rules before anything is written
                    } catch (IllegalArgumentException bad) {
                        throw UserError.config(e.zip.getName() + ": " + bad.getMessage() + "; nothing was imported");
                    }
                    bases.put(e.container, items);
                } else drives.computeIfAbsent(e.container, k -> new ArrayList<>()).add(e);
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
            Map<Entry, DriveStore.Staged> staged = new LinkedHashMap<>();
            try {
                for (List<Entry> files : drives.values()) {
                    for (Entry e : files) {
                        DriveStore.Staged s;
                        try (InputStream in = z.getInputStream(e.zip)) {
                            s = store.stage(in, budget.limit(e));
                        }
                        if (s == null) throw budget.refuse(e, 0);
                        staged.put(e, s);
                        budget.take(e, s.size());
                    }
                }
                // every entry passed: now the writes (each Base is swapped in whole; each file renamed in)
                long items = 0, files = 0;
                for (var b : bases.entrySet()) {
                    data.base().importItems(b.getKey(), b.getValue(), replace);
                    items += b.getValue().size();
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
                for (DriveStore.Staged s : staged.values()) store.discard(s);
            }
        } catch (java.util.zip.ZipException e) {
            throw UserError.config(zip + " is not a readable zip file (" + e.getMessage() + ")");
        }
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

    /** A Base export's items, read whole (within the budget, counting the bytes really decompressed) and parsed. */
    @SuppressWarnings("unchecked")
    private static List<Object> items(ZipFile z, Entry e, Budget budget) throws IOException {
        Object doc;
        try {
            doc = Json.parse(text(z, e, budget));
        } catch (IllegalArgumentException bad) {
            throw UserError.config(e.zip.getName() + " is not JSON micros can read (" + bad.getMessage() + "); nothing was imported");
        }
        if (doc instanceof Map<?, ?> m && m.get("items") instanceof List<?> l) doc = l;
        if (!(doc instanceof List<?> list)) throw UserError.config(e.zip.getName() + " is neither a JSON array of items nor an object holding \"items\"");
        for (int i = 0; i < list.size(); i++)
            if (!(list.get(i) instanceof Map<?, ?>)) throw UserError.config(e.zip.getName() + ": item " + (i + 1) + " is not a JSON object; nothing was imported");
        return (List<Object>) list;
    }

    /** An entry's text, at most what the budget allows (counting the bytes really decompressed, whatever the zip declared). */
    private static String text(ZipFile z, Entry e, Budget budget) throws IOException {
        long limit = budget.limit(e);
        byte[] raw;
        try (InputStream in = z.getInputStream(e.zip)) {
            raw = in.readNBytes((int) limit + 1); // limit: at most MAX_BASE_JSON
        }
        if (raw.length > limit) throw budget.refuse(e, 0);
        budget.take(e, raw.length);
        return new String(raw, StandardCharsets.UTF_8);
    }

    /** Writes every Base and Drive of the app as an export (to a temporary name, renamed when complete). */
    public static Counts write(Path zip, DataServer data) throws IOException {
        Path abs = zip.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".part");
        long items = 0, files = 0;
        int bases = 0, drives = 0;
        Files.deleteIfExists(tmp); // an export cut short: created anew, 0600 (it holds all of the app's data)
        try (OutputStream os = java.nio.channels.Channels.newOutputStream(PrivateFiles.open(tmp, StandardOpenOption.CREATE_NEW));
             ZipOutputStream out = new ZipOutputStream(os, StandardCharsets.UTF_8)) {
            for (String b : data.base().names()) {
                List<Object> all = data.base().items(b);
                out.putNextEntry(new ZipEntry("bases/" + b + ".json"));
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < all.size(); i++) {
                    sb.append(i == 0 ? "\n" : ",\n");
                    JsonOut.write(sb, all.get(i));
                    if (sb.length() > 1 << 16) {
                        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                        sb.setLength(0);
                    }
                }
                sb.append("\n]\n");
                out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
                bases++;
                items += all.size();
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
