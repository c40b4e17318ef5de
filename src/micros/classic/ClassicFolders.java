package micros.classic;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Deta Cloud micros in the folders directly below a project folder (a repository of several micros). */
public final class ClassicFolders {
    private ClassicFolders() {}

    /** Sub-folders (not hidden) holding a .deta/prog_info, by name. */
    public static List<Path> below(Path dir) {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> ClassicReader.find(p) != null).sorted().forEach(out::add);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return out;
    }

    /** For "no Spacefile in DIR": what to do when DIR holds Deta Cloud micros in its folders; "" otherwise. */
    public static String hint(Path dir) {
        List<Path> found = below(dir);
        if (found.isEmpty()) return "";
        List<String> names = found.stream().map(p -> p.getFileName() + "/").toList();
        return "; its folders " + String.join(", ", names) + " are Deta Cloud micros: run one with '" + micros.util.Programs.INVOCATION + " run " + dir.resolve(found.get(0).getFileName())
                + "', or make one Spacefile of them all with '" + micros.util.Programs.INVOCATION + " init " + dir + "'";
    }
}
