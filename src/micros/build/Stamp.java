package micros.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What an install was made from: a digest of the files it read (requirements.txt, package.json
 * and its lockfile) and of the interpreter; the same stamp means nothing to do.
 */
final class Stamp {
    private Stamp() {}

    /** One line naming the inputs: the tool and its version, then each file's SHA-256 (missing files count as empty). */
    static String of(String tool, Path... files) {
        StringBuilder sb = new StringBuilder(tool);
        for (Path f : files) {
            sb.append(' ').append(f.getFileName()).append('=');
            try {
                sb.append(Files.exists(f) ? sha256(Files.readAllBytes(f)) : "-");
            } catch (IOException e) {
                sb.append("unreadable");
            }
        }
        return sb.toString();
    }

    static boolean matches(Path stampFile, String stamp) {
        try {
            return Files.readString(stampFile, StandardCharsets.UTF_8).strip().equals(stamp);
        } catch (IOException e) {
            return false;
        }
    }

    /** Written readable by micros' user alone (a build's stamp digests its presets' values). */
    static void write(Path stampFile, String stamp) {
        try {
            Files.createDirectories(stampFile.getParent());
            micros.util.PrivateFiles.write(stampFile, (stamp + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // no stamp: the next start installs again, which is slow but right
        }
    }

    static void clear(Path stampFile) {
        try {
            Files.deleteIfExists(stampFile);
        } catch (IOException ignored) {
            // as above
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }
}
