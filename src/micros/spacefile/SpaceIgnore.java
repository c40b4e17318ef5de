package micros.spacefile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What Space left out of a micro's package: the default ignore list, then the micro's own
 * .spaceignore, in gitignore syntax (comments, {@code !} negations, trailing {@code /} for
 * folders, leading or inner {@code /} anchoring, {@code * ? [..] **}). The last matching rule wins.
 */
public final class SpaceIgnore implements Ignore {
    private record Rule(int index, boolean negate, boolean dirOnly, Pattern pattern) {}

    private final List<Rule> globs = new ArrayList<>();
    private final Map<String, List<Rule>> literalNames = new HashMap<>(); // unanchored names without wildcards: a lookup, not a regex
    private int count;

    /** The default list plus the src folder's .spaceignore, if any. */
    public static SpaceIgnore forSource(Path src) throws IOException {
        SpaceIgnore s = defaults();
        Path own = src.resolve(".spaceignore");
        if (Files.isRegularFile(own)) s.add(Files.readString(own));
        return s;
    }

    private static SpaceIgnore parsedDefaults; // guarded by SpaceIgnore.class: read from the jar and compiled once, then copied

    /** Space's default list alone. */
    public static SpaceIgnore defaults() {
        SpaceIgnore d;
        synchronized (SpaceIgnore.class) {
            if (parsedDefaults == null) {
                parsedDefaults = new SpaceIgnore();
                try (InputStream in = SpaceIgnore.class.getResourceAsStream("default.spaceignore")) {
                    if (in != null) parsedDefaults.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("the jar's default.spaceignore cannot be read", e);
                }
            }
            d = parsedDefaults;
        }
        SpaceIgnore s = new SpaceIgnore(); // a copy: a micro's .spaceignore is added to it
        s.globs.addAll(d.globs);
        for (Map.Entry<String, List<Rule>> e : d.literalNames.entrySet()) s.literalNames.put(e.getKey(), new ArrayList<>(e.getValue()));
        s.count = d.count;
        return s;
    }

    public SpaceIgnore add(String text) {
        for (String raw : text.split("\r?\n")) {
            String line = stripTrailingSpaces(raw);
            if (line.isEmpty() || line.startsWith("#")) continue;
            boolean negate = false;
            if (line.startsWith("!")) {
                negate = true;
                line = line.substring(1);
            } else if (line.startsWith("\\!") || line.startsWith("\\#")) {
                line = line.substring(1);
            }
            boolean dirOnly = line.endsWith("/");
            if (dirOnly) line = line.substring(0, line.length() - 1);
            if (line.isEmpty()) continue;
            boolean anchored = line.contains("/");
            if (line.startsWith("/")) line = line.substring(1);
            int index = count++;
            if (!anchored && !hasWildcard(line)) {
                literalNames.computeIfAbsent(line, k -> new ArrayList<>()).add(new Rule(index, negate, dirOnly, null));
                continue;
            }
            String regex = (anchored ? "" : "(?:.*/)?") + glob(line);
            globs.add(new Rule(index, negate, dirOnly, Pattern.compile(regex)));
        }
        return this;
    }

    /** Whether a path (relative, '/'-separated) is left out. */
    @Override
    public boolean ignored(String relative, boolean isDirectory) {
        int best = -1;
        boolean result = false;
        String name = relative.substring(relative.lastIndexOf('/') + 1);
        List<Rule> byName = literalNames.get(name);
        if (byName != null)
            for (Rule r : byName)
                if (r.index > best && (!r.dirOnly || isDirectory)) {
                    best = r.index;
                    result = !r.negate;
                }
        for (int i = globs.size() - 1; i >= 0; i--) {
            Rule r = globs.get(i);
            if (r.index <= best) break;
            if ((!r.dirOnly || isDirectory) && r.pattern.matcher(relative).matches()) {
                result = !r.negate;
                break;
            }
        }
        return result;
    }

    private static boolean hasWildcard(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('\\') >= 0;
    }

    private static String stripTrailingSpaces(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == ' ' && !(end > 1 && s.charAt(end - 2) == '\\')) end--;
        return s.substring(0, end);
    }

    /** gitignore glob to regex: * and ? stay inside a segment; ** crosses them. */
    static String glob(String g) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (c == '*') {
                boolean doubleStar = i + 1 < g.length() && g.charAt(i + 1) == '*';
                if (doubleStar) {
                    boolean atStart = i == 0 || g.charAt(i - 1) == '/';
                    boolean slashAfter = i + 2 < g.length() && g.charAt(i + 2) == '/';
                    if (atStart && slashAfter) { // "**/" : any number of folders, zero included
                        sb.append("(?:.*/)?");
                        i += 2;
                    } else { // "/**" at the end, or a ** inside a name: anything
                        sb.append(".*");
                        i += 1;
                    }
                } else {
                    sb.append("[^/]*");
                }
            } else if (c == '?') {
                sb.append("[^/]");
            } else if (c == '[') {
                int close = g.indexOf(']', i + 2);
                if (close < 0) {
                    sb.append("\\[");
                    continue;
                }
                String set = g.substring(i + 1, close);
                if (set.startsWith("!")) set = "^" + set.substring(1);
                sb.append('[').append(set.replace("\\", "\\\\")).append(']');
                i = close;
            } else if (c == '\\' && i + 1 < g.length()) {
                sb.append(Pattern.quote(String.valueOf(g.charAt(++i))));
            } else {
                sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return sb.toString();
    }
}
