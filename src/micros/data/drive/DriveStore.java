package micros.data.drive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import micros.util.PrivateFiles;

/**
 * Drive files on disk: {@code drives/<drive>/files/<name>}, each drive and file name encoded
 * into one safe path component (bytes outside {@code [A-Za-z0-9_-]}, and a leading dot, become
 * {@code %XX}), so no name, whatever its slashes, dots or bytes, leaves the data folder. A name
 * whose component would pass 255 bytes gets a readable start of it, '~' and the SHA-256 of the
 * whole name ('~' is never in the %XX form, so the forms never meet), and the name itself is kept
 * beside it ({@code names/<component>}, or {@code name} in a drive's folder) for listings.
 * A file is written to {@code drives/.staging/}, fsynced, then renamed over the old one: a reader
 * or a crash sees the old file or the new one, never half of one. Chunked uploads keep their
 * parts under {@code drives/<drive>/uploads/<id>/} until they are completed or aborted. Every
 * folder is created 0700 and every file 0600.
 */
public final class DriveStore {
    /** Longest file name and drive name, in UTF-8 bytes: Deta documented none; 1,024 is S3's key limit, 255 a file name's. */
    public static final int MAX_NAME_BYTES = 1024, MAX_DRIVE_BYTES = 255;
    static final int MAX_COMPONENT = 255;
    private static final int READABLE_START = 150;
    private static final char LONG = '~';
    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
    /** Made at first use: setting up SecureRandom costs tens of ms, not to be paid at every start. */
    private static final class Random {
        static final SecureRandom RANDOM = new SecureRandom();
    }
    private final Path root, staging;

    public DriveStore(Path dataDir) throws IOException {
        this.root = dataDir.resolve("drives");
        this.staging = root.resolve(".staging");
        PrivateFiles.tighten(PrivateFiles.folder(root));
        removeTemporaries();
        PrivateFiles.folder(staging);
    }

    /**
     * A run killed in the middle of a write leaves its temporary file (never a half file under a
     * real name): dropped at the next start, in the staging folder and where older runs wrote them.
     */
    private void removeTemporaries() throws IOException {
        try (DirectoryStream<Path> drives = Files.newDirectoryStream(root)) {
            for (Path d : drives) {
                if (d.equals(staging)) {
                    try (DirectoryStream<Path> tmp = Files.newDirectoryStream(d)) {
                        for (Path t : tmp) Files.deleteIfExists(t);
                    }
                    continue;
                }
                Path files = d.resolve("files");
                if (!Files.isDirectory(files)) continue;
                try (DirectoryStream<Path> tmp = Files.newDirectoryStream(files, ".tmp-*")) {
                    for (Path t : tmp) Files.deleteIfExists(t);
                }
            }
        }
    }

    /** A name's path component: its %XX form, or when that passes 255 bytes, a readable start, '~' and the name's SHA-256. */
    static String encode(String name) {
        String plain = plain(name);
        if (plain.length() <= MAX_COMPONENT) return plain;
        int cut = READABLE_START;
        if (plain.charAt(cut - 1) == '%') cut -= 1;
        else if (plain.charAt(cut - 2) == '%') cut -= 2; // never half a %XX
        return plain.substring(0, cut) + LONG + sha256(name);
    }

    private static String plain(String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder s = new StringBuilder(b.length + 8);
        for (int i = 0; i < b.length; i++) {
            int c = b[i] & 0xff;
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || (c == '.' && i > 0);
            if (plain) s.append((char) c);
            else s.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return s.toString();
    }

    private static String sha256(String name) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            StringBuilder s = new StringBuilder(64);
            for (byte x : h) s.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
            return s.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    private static boolean isLong(String component) {
        return component.indexOf(LONG) >= 0;
    }

    /** The name a component stands for: decoded, or read from its side file (null when that is missing). */
    private static String nameOf(String component, Path sideFile) {
        if (!isLong(component)) return decode(component);
        try {
            return Files.readString(sideFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null; // a file whose name was never recorded (a crash between the two): not listed
        }
    }

    /** Records a long name beside its component, durably, before anything is stored under it. */
    private void recordName(Path sideFile, String name) throws IOException {
        if (Files.exists(sideFile)) return;
        PrivateFiles.folder(sideFile.getParent());
        Path tmp = staging.resolve("name-" + id());
        try {
            try (FileChannel ch = PrivateFiles.open(tmp, StandardOpenOption.CREATE_NEW)) {
                ch.write(java.nio.ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            commit(tmp, sideFile);
            tmp = null;
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp);
        }
    }

    static String decode(String component) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(component.length());
        for (int i = 0; i < component.length(); i++) {
            char c = component.charAt(i);
            int hi = c == '%' && i + 2 < component.length() ? Character.digit(component.charAt(i + 1), 16) : -1;
            int lo = hi < 0 ? -1 : Character.digit(component.charAt(i + 2), 16);
            if (lo >= 0) {
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8); // a file put there by hand
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Why a file name is refused (Deta's rules), or null when it is fine. */
    public static String invalidNameReason(String name) {
        return invalidName(name);
    }

    public static String invalidDriveReason(String drive) {
        return invalidDrive(drive);
    }

    static String invalidName(String name) {
        if (name == null || name.isEmpty()) return "the file name is missing";
        if (name.endsWith("/")) return "the file name must not end with a slash";
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) return "the file name is longer than " + MAX_NAME_BYTES + " bytes";
        return null;
    }

    static String invalidDrive(String drive) {
        if (drive == null || drive.isEmpty()) return "the drive name is missing";
        if (drive.getBytes(StandardCharsets.UTF_8).length > MAX_DRIVE_BYTES) return "the drive name is longer than " + MAX_DRIVE_BYTES + " bytes";
        return null;
    }

    private Path drive(String drive) {
        return root.resolve(encode(drive));
    }

    /** The drive's folder, created (0700, its long name recorded) if it is new. */
    private Path createDrive(String drive) throws IOException {
        Path d = drive(drive);
        if (isLong(d.getFileName().toString())) recordName(d.resolve("name"), drive);
        return PrivateFiles.folder(d);
    }

    private Path createFiles(String drive) throws IOException {
        return PrivateFiles.folder(createDrive(drive).resolve("files"));
    }

    private Path filesOf(String drive) {
        return drive(drive).resolve("files");
    }

    /** The stored file, or null. */
    public Path file(String drive, String name) {
        Path p = filesOf(drive).resolve(encode(name));
        return Files.isRegularFile(p) ? p : null;
    }

    /** The drives that hold files, sorted. */
    public List<String> drives() throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path d : ds) {
                String c = d.getFileName().toString();
                if (c.startsWith(".") || !hasFiles(d.resolve("files"))) continue;
                String name = nameOf(c, d.resolve("name"));
                if (name != null) out.add(name);
            }
        }
        out.sort(null);
        return out;
    }

    private static boolean hasFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) if (!p.getFileName().toString().startsWith(".")) return true;
        }
        return false;
    }

    /** Every file name of a drive, sorted (by UTF-16 order, as Deta's listing). */
    public List<String> names(String drive) throws IOException {
        List<String> out = new ArrayList<>();
        Path dir = filesOf(drive);
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                if (f.startsWith(".")) continue; // temporary files of older runs
                String name = nameOf(f, drive(drive).resolve("names").resolve(f));
                if (name != null) out.add(name);
            }
        }
        out.sort(null);
        return out;
    }

    /** Stores a whole file from a stream, at most {@code max} bytes; false when it was longer (nothing stored). */
    public boolean put(String drive, String name, InputStream in, long max) throws IOException {
        Staged s = stage(in, max);
        if (s == null) return false;
        commit(s, drive, name);
        return true;
    }

    /** A file written whole and synced, under no name yet; {@link #commit} names it, {@link #discard} drops it. */
    public record Staged(Path tmp, long size) {}

    /** Writes a stream to a staged file (0600), at most {@code max} bytes; null when it was longer (nothing left behind). */
    public Staged stage(InputStream in, long max) throws IOException {
        Path tmp = staging.resolve("file-" + id());
        try {
            long n = 0;
            try (FileChannel ch = PrivateFiles.open(tmp, StandardOpenOption.CREATE_NEW);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                byte[] buf = new byte[64 * 1024];
                int k;
                while ((k = in.read(buf)) > 0) {
                    n += k;
                    if (n > max) return null;
                    out.write(buf, 0, k);
                }
                ch.force(true);
            }
            Staged s = new Staged(tmp, n);
            tmp = null;
            return s;
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp);
        }
    }

    /** Puts a staged file in place as the drive's file {@code name} (replacing one), durably; the staged file is gone either way. */
    public void commit(Staged s, String drive, String name) throws IOException {
        try {
            Path files = createFiles(drive);
            String c = encode(name);
            if (isLong(c)) recordName(drive(drive).resolve("names").resolve(c), name);
            commit(s.tmp, files.resolve(c));
        } finally {
            discard(s);
        }
    }

    public void discard(Staged s) throws IOException {
        Files.deleteIfExists(s.tmp);
    }

    /** Renames a synced temporary file into place and syncs the folder, so the rename itself survives a crash. */
    private static void commit(Path tmp, Path target) throws IOException {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDir(target.getParent());
    }

    private static void syncDir(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // some file systems cannot sync a folder; the file itself is synced
        }
    }

    /** Deletes a file; true when it existed. */
    public boolean delete(String drive, String name) throws IOException {
        String c = encode(name);
        Files.deleteIfExists(drive(drive).resolve("types").resolve(c));
        boolean existed = Files.deleteIfExists(filesOf(drive).resolve(c));
        if (isLong(c)) Files.deleteIfExists(drive(drive).resolve("names").resolve(c)); // after the file: never a file without its name
        return existed;
    }

    /** Remembers the content type the uploader gave (null forgets it: the name decides). */
    public void type(String drive, String name, String type) throws IOException {
        Path f = drive(drive).resolve("types").resolve(encode(name));
        if (type == null || type.isBlank() || unspecified(type)) {
            Files.deleteIfExists(f);
            return;
        }
        PrivateFiles.folder(createDrive(drive).resolve("types"));
        PrivateFiles.write(f, type.strip().getBytes(StandardCharsets.UTF_8));
    }

    /** What SDKs send when they were given no type (the Node SDK: binary/octet-stream): the name decides then. */
    private static boolean unspecified(String type) {
        String t = type.strip().toLowerCase(java.util.Locale.ROOT);
        return t.equals("binary/octet-stream") || t.equals("application/octet-stream");
    }

    /** The file's content type: as uploaded, else from its name, else application/octet-stream. */
    public String type(String drive, String name) {
        try {
            Path f = drive(drive).resolve("types").resolve(encode(name));
            if (Files.isRegularFile(f)) return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException ignored) {
            // fall back on the name
        }
        String guess = java.net.URLConnection.guessContentTypeFromName(name);
        return guess != null ? guess : "application/octet-stream";
    }

    // ---- chunked uploads ----

    private Path uploadDir(String drive, String id) {
        return drive(drive).resolve("uploads").resolve(id);
    }

    static boolean validId(String id) {
        if (id == null || id.length() != 24) return false;
        for (int i = 0; i < id.length(); i++) if (ID_CHARS.indexOf(id.charAt(i)) < 0) return false;
        return true;
    }

    public String startUpload(String drive, String name) throws IOException {
        String id = id();
        PrivateFiles.folder(createDrive(drive).resolve("uploads"));
        Path dir = PrivateFiles.folder(uploadDir(drive, id));
        PrivateFiles.write(dir.resolve("name"), name.getBytes(StandardCharsets.UTF_8));
        return id;
    }

    /** The content type sent with an upload's parts (the first one given), or null. */
    public String uploadType(String drive, String id) {
        try {
            return Files.readString(uploadDir(drive, id).resolve("type"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    public void uploadType(String drive, String id, String type) throws IOException {
        Path f = uploadDir(drive, id).resolve("type");
        if (type != null && !type.isBlank() && !unspecified(type) && !Files.exists(f)) PrivateFiles.write(f, type.strip().getBytes(StandardCharsets.UTF_8));
    }

    /** Whether the upload exists and is for this name. */
    public boolean uploadOf(String drive, String id, String name) throws IOException {
        if (!validId(id)) return false;
        Path f = uploadDir(drive, id).resolve("name");
        try {
            return Files.readString(f, StandardCharsets.UTF_8).equals(name);
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** Stores one part (a later copy of the same part replaces it); false when it was over {@code max}. */
    public boolean putPart(String drive, String id, int part, InputStream in, long max) throws IOException {
        Path dir = uploadDir(drive, id);
        Path tmp = dir.resolve(".part-" + id());
        try {
            long n = 0;
            try (OutputStream out = java.nio.channels.Channels.newOutputStream(PrivateFiles.open(tmp, StandardOpenOption.CREATE_NEW))) {
                byte[] buf = new byte[64 * 1024];
                int k;
                while ((k = in.read(buf)) > 0) {
                    n += k;
                    if (n > max) return false;
                    out.write(buf, 0, k);
                }
            }
            Files.move(tmp, dir.resolve(String.format("part-%06d", part)), StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            return true;
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp);
        }
    }

    /** The number of the first part other than the last (the highest numbered) under {@code min} bytes; 0 when there is none. */
    public int smallPart(String drive, String id, long min) throws IOException {
        List<Path> parts = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(uploadDir(drive, id), "part-*")) {
            ds.forEach(parts::add);
        }
        parts.sort(null);
        for (int i = 0; i < parts.size() - 1; i++) {
            if (Files.size(parts.get(i)) < min) return Integer.parseInt(parts.get(i).getFileName().toString().substring("part-".length()));
        }
        return 0;
    }

    /** Joins the parts in order into the file, durably, and forgets the upload. */
    public void completeUpload(String drive, String id, String name) throws IOException {
        Path dir = uploadDir(drive, id);
        List<Path> parts = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "part-*")) {
            ds.forEach(parts::add);
        }
        parts.sort(null);
        Path tmp = staging.resolve("file-" + id());
        long size = 0;
        try {
            try (FileChannel out = PrivateFiles.open(tmp, StandardOpenOption.CREATE_NEW)) {
                for (Path p : parts) {
                    try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
                        long n = in.size(), pos = 0;
                        while (pos < n) pos += in.transferTo(pos, n - pos, out);
                        size += n;
                    }
                }
                out.force(true);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        commit(new Staged(tmp, size), drive, name);
        abortUpload(drive, id);
    }

    public void abortUpload(String drive, String id) throws IOException {
        Path dir = uploadDir(drive, id);
        if (!Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }

    private static String id() {
        char[] c = new char[24];
        for (int i = 0; i < c.length; i++) c[i] = ID_CHARS.charAt(Random.RANDOM.nextInt(ID_CHARS.length()));
        return new String(c);
    }
}
