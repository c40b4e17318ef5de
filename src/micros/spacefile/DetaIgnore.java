package micros.spacefile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;


/**
 * What `deta deploy` left out of a micro, as the deta CLI decided it: each line of .detaignore is
 * a regular expression searched in the relative path ({@code !} keeps what matches), later lines
 * first, then the runtime's defaults (Python: .pyc, .rst, __pycache__, editor backups, .deta,
 * names ending in env or venv; Node: node_modules, backups, .deta); a path no rule matches is
 * left out when its name starts with a dot. The first matching rule decides; .detaignore itself is kept.
 */
public final class DetaIgnore implements Ignore {
    private record Rule(Pattern pattern, boolean skip) {}

    static final String PYTHON = "(.*\\.pyc)|(.*\\.rst)|(__pycache__)|(.*~$)|(.*\\.deta)|(^.*env$)|(^.*venv$)";
    static final String NODE = "(node_modules)|(.*~$)|(.*\\.deta)";
    private static final Pattern SELF = Pattern.compile(".detaignore");

    private final List<Rule> rules = new ArrayList<>();

    private DetaIgnore() {}

    /** The runtime's defaults and the folder's .detaignore, if any. */
    public static DetaIgnore forSource(Path src, boolean python) throws IOException {
        Path own = src.resolve(".detaignore");
        return of(Files.isRegularFile(own) ? Files.readString(own) : "", python);
    }

    static DetaIgnore of(String detaignore, boolean python) {
        DetaIgnore d = new DetaIgnore();
        for (String raw : detaignore.split("\n")) {
            String line = raw.replaceAll("^ +| +$", "").replace("\r", "");
            if (line.isEmpty()) continue;
            boolean keep = line.startsWith("!");
            String regex = keep ? line.substring(1) : line;
            if (regex.isEmpty()) continue;
            try {
                d.rules.add(0, new Rule(Pattern.compile(regex), !keep)); // each line goes before the ones above it
            } catch (PatternSyntaxException e) {
                // the deta CLI skipped a line it could not compile
            }
        }
        d.rules.add(new Rule(Pattern.compile(python ? PYTHON : NODE), true));
        return d;
    }

    @Override
    public boolean ignored(String relative, boolean isDirectory) {
        if (SELF.matcher(relative).find()) return false;
        for (Rule r : rules) if (r.pattern.matcher(relative).find()) return r.skip;
        return relative.substring(relative.lastIndexOf('/') + 1).startsWith(".");
    }
}
