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
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Drive files on disk: {@code drives/<drive>/files/<name>}, each drive and file name encoded
 * into one safe path component (bytes outside {@code [A-Za-z0-9_-]}, and a leading dot, become
 * {@code %XX}), so no name, whatever its slashes, dots or bytes, leaves the data folder. A file
 * is written to a temporary name, fsynced, then renamed over the old one: a reader or a crash
 * sees the old file or the new one, never half of one. Chunked uploads keep their parts under
 * {@code drives/<drive>/uploads/<id>/} until they are completed or aborted.
 */
public final class DriveStore {
    static final int MAX_COMPONENT = 255;
    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
    /** Made at first use: setting up SecureRandom costs tens of ms, not to be paid at every start. */
    private static final class Random {
        static final SecureRandom RANDOM = new SecureRandom();
    }
    private final Path root;

    public DriveStore(Path dataDir) throws IOException {
        this.root = dataDir.resolve("drives");
        Files.createDirectories(root);
        removeTemporaries();
    }

    /** A run killed in the middle of a write leaves its temporary file (never a half file under a real name): dropped at the next start. */
    private void removeTemporaries() throws IOException {
        try (DirectoryStream<Path> drives = Files.newDirectoryStream(root)) {
            for (Path d : drives) {
                Path files = d.resolve("files");
                if (!Files.isDirectory(files)) continue;
                try (DirectoryStream<Path> tmp = Files.newDirectoryStream(files, ".tmp-*")) {
                    for (Path t : tmp) Files.deleteIfExists(t);
                }
            }
        }
    }

    /** A name's path component, or null when it cannot be one (too long). */
    static String encode(String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder s = new StringBuilder(b.length + 8);
        for (int i = 0; i < b.length; i++) {
            int c = b[i] & 0xff;
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || (c == '.' && i > 0);
            if (plain) s.append((char) c);
            else s.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return s.length() > MAX_COMPONENT ? null : s.toString();
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
        if (encode(name) == null) return "the file name is too long";
        return null;
    }

    static String invalidDrive(String drive) {
        if (drive == null || drive.isEmpty()) return "the drive name is missing";
        if (encode(drive) == null) return "the drive name is too long";
        return null;
    }

    private Path drive(String drive) {
        return root.resolve(encode(drive));
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
            for (Path d : ds) if (!d.getFileName().toString().startsWith(".") && hasFiles(d.resolve("files"))) out.add(decode(d.getFileName().toString()));
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
                if (!f.startsWith(".")) out.add(decode(f)); // dot names are temporary files
            }
        }
        out.sort(null);
        return out;
    }

    /** Stores a whole file from a stream, at most {@code max} bytes; false when it was longer (nothing stored). */
    public boolean put(String drive, String name, InputStream in, long max) throws IOException {
        Path dir = filesOf(drive);
        Files.createDirectories(dir);
        Path tmp = dir.resolve(".tmp-" + id());
        try {
            long n = 0;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                byte[] buf = new byte[64 * 1024];
                int k;
                while ((k = in.read(buf)) > 0) {
                    n += k;
                    if (n > max) return false;
                    out.write(buf, 0, k);
                }
                ch.force(true);
            }
            commit(tmp, dir.resolve(encode(name)));
            tmp = null;
            return true;
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp);
        }
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
        Files.deleteIfExists(drive(drive).resolve("types").resolve(encode(name)));
        return Files.deleteIfExists(filesOf(drive).resolve(encode(name)));
    }

    /** Remembers the content type the uploader gave (null forgets it: the name decides). */
    public void type(String drive, String name, String type) throws IOException {
        Path f = drive(drive).resolve("types").resolve(encode(name));
        if (type == null || type.isBlank() || unspecified(type)) {
            Files.deleteIfExists(f);
            return;
        }
        Files.createDirectories(f.getParent());
        Files.writeString(f, type.strip(), StandardCharsets.UTF_8);
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
        Path dir = uploadDir(drive, id);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("name"), name, StandardCharsets.UTF_8);
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
        if (type != null && !type.isBlank() && !unspecified(type) && !Files.exists(f)) Files.writeString(f, type.strip(), StandardCharsets.UTF_8);
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
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW)) {
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

    /** Joins the parts in order into the file, durably, and forgets the upload. */
    public void completeUpload(String drive, String id, String name) throws IOException {
        Path dir = uploadDir(drive, id);
        List<Path> parts = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "part-*")) {
            ds.forEach(parts::add);
        }
        parts.sort(null);
        Path files = filesOf(drive);
        Files.createDirectories(files);
        Path tmp = files.resolve(".tmp-" + id());
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (Path p : parts) {
                    try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
                        long size = in.size(), pos = 0;
                        while (pos < size) pos += in.transferTo(pos, size - pos, out);
                    }
                }
                out.force(true);
            }
            commit(tmp, files.resolve(encode(name)));
            tmp = null;
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp);
        }
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
