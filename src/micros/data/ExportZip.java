package micros.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

import micros.data.drive.DriveStore;
import micros.util.Json;
import micros.util.UserError;

/**
 * Space's Data Export: a zip with {@code bases/<name>.json} (a Base's items: a JSON array, or an
 * object holding {@code items}) and {@code drives/<drive>/<file name>}. Loaded into, and written
 * from, the app's data. A single top-level folder around them is accepted too.
 */
public final class ExportZip {
    private ExportZip() {}

    public record Counts(int bases, long items, int drives, long files) {
        public String describe() {
            return bases + (bases == 1 ? " base (" : " bases (") + items + (items == 1 ? " item), " : " items), ")
                    + drives + (drives == 1 ? " drive (" : " drives (") + files + (files == 1 ? " file)" : " files)");
        }
    }

    private record Entry(ZipEntry zip, String kind, String container, String name) {}

    /** Loads an export; refuses (changing nothing) when it would overwrite data and {@code replace} is off. */
    public static Counts load(Path zip, DataServer data, boolean replace) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile(), StandardCharsets.UTF_8)) {
            List<Entry> entries = entries(z);
            if (entries.isEmpty()) throw UserError.config(zip + " holds no bases/<name>.json and no drives/<drive>/ files: is it a Space Data Export?");
            Map<String, List<Object>> bases = new LinkedHashMap<>();
            Map<String, List<Entry>> drives = new LinkedHashMap<>();
            for (Entry e : entries) {
                if (e.kind.equals("bases")) bases.put(e.container, items(z, e));
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
            long items = 0, files = 0;
            for (var b : bases.entrySet()) {
                data.base().importItems(b.getKey(), b.getValue(), replace);
                items += b.getValue().size();
            }
            for (var d : drives.entrySet()) {
                Set<String> names = new LinkedHashSet<>();
                for (Entry e : d.getValue()) {
                    try (InputStream in = z.getInputStream(e.zip)) {
                        store.put(d.getKey(), e.name, in, Long.MAX_VALUE);
                    }
                    names.add(e.name);
                    files++;
                }
                if (replace) for (String old : store.names(d.getKey())) if (!names.contains(old)) store.delete(d.getKey(), old); // the drive becomes the export's
            }
            return new Counts(bases.size(), items, drives.size(), files);
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
                if (DriveStore.invalidNameReason(name) == null && DriveStore.invalidDriveReason(drive) == null) out.add(new Entry(ze, "drives", drive, name));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> items(ZipFile z, Entry e) throws IOException {
        Object doc;
        try (InputStream in = z.getInputStream(e.zip)) {
            doc = Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException bad) {
            throw UserError.config(e.zip.getName() + " is not JSON: " + bad.getMessage());
        }
        if (doc instanceof Map<?, ?> m && m.get("items") instanceof List<?> l) doc = l;
        if (!(doc instanceof List<?> list)) throw UserError.config(e.zip.getName() + " is neither a JSON array of items nor an object holding \"items\"");
        for (Object item : list)
            if (!(item instanceof Map<?, ?>)) throw UserError.config(e.zip.getName() + " has an item that is not a JSON object: " + JsonOut.write(item));
        return (List<Object>) list;
    }

    /** Writes every Base and Drive of the app as an export (to a temporary name, renamed when complete). */
    public static Counts write(Path zip, DataServer data) throws IOException {
        Path abs = zip.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".part");
        long items = 0, files = 0;
        int bases = 0, drives = 0;
        try (OutputStream os = Files.newOutputStream(tmp); ZipOutputStream out = new ZipOutputStream(os, StandardCharsets.UTF_8)) {
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
