package micros.spacefile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import micros.util.UserError;

/** Finds, reads and checks a Spacefile: text to YAML tree to {@link App}, with every problem found. */
public final class SpacefileReader {
    private SpacefileReader() {}

    /**
     * PATH may be a Spacefile or a folder holding one; null means ./Spacefile. A folder without a
     * Spacefile that is a Deta Cloud micro gives its .deta/prog_info, which {@link #read} reads as one.
     */
    public static Path locate(String path) {
        Path p = Path.of(path == null ? "." : path);
        if (Files.isDirectory(p)) {
            Path f = path == null ? Path.of("Spacefile") : p.resolve("Spacefile");
            if (!Files.exists(f) && micros.classic.ClassicReader.find(p) != null) return micros.classic.ClassicReader.find(p);
            if (!Files.exists(f))
                throw UserError.config("no Spacefile in " + p.toAbsolutePath().normalize() + ": pass the path of one, or create it (see '" + micros.util.Programs.INVOCATION + " init')"
                        + micros.classic.ClassicFolders.hint(p));
            return f;
        }
        if (!Files.exists(p)) throw UserError.config(missing(p));
        return p;
    }

    /** Why a path that does not resolve does not: absent, or a symbolic link that leads nowhere (or in a loop). */
    private static String missing(Path p) {
        if (Files.isSymbolicLink(p)) {
            try {
                p.toRealPath();
            } catch (java.nio.file.FileSystemException e) {
                if (e.getReason() != null && e.getReason().toLowerCase(java.util.Locale.ROOT).contains("too many levels"))
                    return p + " is a symbolic link that loops back on itself: point it at the Spacefile";
            } catch (IOException e) {
                // fall through
            }
            return p + " is a symbolic link to something that does not exist: point it at the Spacefile";
        }
        return p + " does not exist: pass a Spacefile or a folder holding one";
    }

    /** At most YamlText.MAX_BYTES + 1 bytes: enough to tell a Spacefile from anything larger (even endless, like /dev/zero). */
    private static byte[] readBounded(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(YamlText.MAX_BYTES + 1);
        }
    }

    public static Reading read(Path file) {
        if (micros.classic.ClassicReader.isProgInfo(file) && Files.isRegularFile(file)) return micros.classic.ClassicReader.read(file);
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) throw UserError.config(file + " is a folder, not a Spacefile: pass the Spacefile in it");
            bytes = readBounded(file);
        } catch (NoSuchFileException e) {
            throw UserError.config(missing(file));
        } catch (AccessDeniedException e) {
            throw UserError.config(file + " cannot be read (permission denied): check its permissions");
        } catch (java.nio.file.FileSystemException e) {
            if (e.getReason() != null && e.getReason().toLowerCase(java.util.Locale.ROOT).contains("too many levels"))
                throw UserError.config(file + " is a symbolic link that loops back on itself: point it at the Spacefile");
            throw UserError.config(file + " cannot be read: " + (e.getReason() != null ? e.getReason() : e.getMessage()));
        } catch (IOException e) {
            throw UserError.config(file + " cannot be read: " + e.getMessage());
        }
        if (bytes.length > YamlText.MAX_BYTES)
            throw UserError.config(file + " is over 1 MiB: a Spacefile is a few KiB of YAML, so this is not one");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw UserError.config(file + " is not UTF-8 text: save it as UTF-8");
        }
        return parse(text, file);
    }

    public static Reading parse(String text, Path file) {
        String name = file.toString();
        YamlNode doc;
        try {
            doc = YamlParser.parse(text);
        } catch (YamlException e) {
            return new Reading(null, List.of(new Problem(Problem.Severity.ERROR, false, name, e.line(), e.column(), "", e.getMessage())), java.util.Map.of());
        }
        Validator.Result r = Validator.validate(doc, file, name);
        return new Reading(r.app(), r.problems(), r.positions());
    }
}
