package micros.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Files only micros' user may read: folders 0700 and files 0600 from the moment they are created
 * (the mode is given to the create call, so there is no moment where another user could open
 * them), and {@link #tighten} for what an older run left looser.
 */
public final class PrivateFiles {
    private PrivateFiles() {}

    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    /** For FileChannel.open and Files.createDirectories: 0600 files, 0700 folders. */
    public static final FileAttribute<Set<PosixFilePermission>> FILE = PosixFilePermissions.asFileAttribute(FILE_MODE);
    public static final FileAttribute<Set<PosixFilePermission>> DIR = PosixFilePermissions.asFileAttribute(DIR_MODE);

    /** Creates the folder and any missing parent 0700, and makes the folder itself 0700 if it was looser. */
    public static Path folder(Path dir) throws IOException {
        Files.createDirectories(dir, DIR);
        if (!Files.getPosixFilePermissions(dir).equals(DIR_MODE)) Files.setPosixFilePermissions(dir, DIR_MODE);
        return dir;
    }

    /** Opens a file for writing, created 0600 if it does not exist (WRITE is implied). */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> o = new HashSet<>(List.of(options));
        o.add(StandardOpenOption.WRITE);
        return FileChannel.open(file, o, FILE);
    }

    /** Writes a small file whole (created 0600, or truncated). */
    public static void write(Path file, byte[] content) throws IOException {
        try (FileChannel ch = open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(content);
            while (b.hasRemaining()) ch.write(b);
        }
    }

    /**
     * Makes every folder under {@code root} (and root) 0700 and every file 0600 where it is not;
     * symbolic links are neither followed nor changed.
     */
    public static void tighten(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) throws IOException {
                set(dir, DIR_MODE);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
                if (a.isRegularFile()) set(file, FILE_MODE);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void set(Path p, Set<PosixFilePermission> mode) throws IOException {
        if (!Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).equals(mode)) Files.setPosixFilePermissions(p, mode);
    }
}
