package micros.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** No two classes of different packages depend on each other (by import or qualified name). */
class ImportCyclesTest {
    private static final Pattern REF = Pattern.compile("\\bmicros\\.([a-z]+\\.)*[A-Z][A-Za-z0-9]*");

    @Test
    void noClassDependsOnAClassOfAnotherPackageThatDependsOnIt() throws IOException {
        Map<String, Set<String>> uses = new HashMap<>();
        try (Stream<Path> files = Files.walk(Path.of("src"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String name = Path.of("src").relativize(f).toString().replace('/', '.').replaceAll("\\.java$", "");
                Set<String> refs = new TreeSet<>();
                Matcher m = REF.matcher(Files.readString(f));
                while (m.find()) refs.add(m.group());
                refs.remove(name);
                uses.put(name, refs);
            }
        }
        List<String> cycles = new ArrayList<>();
        uses.forEach((a, refs) -> {
            for (String b : refs)
                if (a.compareTo(b) < 0 && !pkg(a).equals(pkg(b)) && uses.getOrDefault(b, Set.of()).contains(a)) cycles.add(a + " <-> " + b);
        });
        assertEquals(List.of(), cycles);
    }

    private static String pkg(String cls) {
        return cls.substring(0, cls.lastIndexOf('.'));
    }
}
