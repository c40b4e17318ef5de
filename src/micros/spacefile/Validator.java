package micros.spacefile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import micros.spacefile.App.Action;
import micros.spacefile.App.EnvVar;
import micros.spacefile.App.Micro;
import micros.spacefile.YamlNode.Mapping;
import micros.spacefile.YamlNode.Scalar;
import micros.spacefile.YamlNode.Sequence;

/**
 * Applies the official Spacefile schema and the rules Space checked in code to a YAML tree,
 * reporting every problem at once, and builds the {@link App} when there is no error.
 */
final class Validator {
    static final List<String> APP_KEYS = List.of("v", "icon", "app_name", "auto_pwa", "micros");
    static final List<String> MICRO_KEYS = List.of("name", "src", "engine", "primary", "path", "serve", "commands",
            "include", "run", "dev", "presets", "public_routes", "public", "provide_actions", "actions");
    static final List<String> PRESET_KEYS = List.of("env", "api_keys");
    static final List<String> ENV_KEYS = List.of("name", "description", "default");
    static final List<String> ACTION_KEYS = List.of("id", "name", "description", "trigger", "default_interval", "path");
    static final int MAX_MICROS = 5, MAX_ACTIONS = 5, MAX_APP_NAME = 12, MAX_DESCRIPTION = 142;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
    private static final Pattern PATH_SEGMENT = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=:@-]+");

    private final Fields f;
    private final Path root;
    private final Map<String, int[]> positions = new HashMap<>(); // micro name -> line, column of its mapping

    private Validator(String fileName, Path root) {
        this.f = new Fields(fileName);
        this.root = root;
    }

    record Result(App app, List<Problem> problems, Map<String, int[]> positions) {}

    static Result validate(YamlNode doc, Path spacefile, String fileName) {
        Path root = spacefile.toAbsolutePath().normalize().getParent();
        Validator v = new Validator(fileName, root);
        App app = v.app(doc, spacefile);
        boolean valid = v.f.problems.stream().noneMatch(Problem::isError);
        List<Problem> problems = new ArrayList<>(v.f.problems);
        problems.sort(java.util.Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column));
        return new Result(valid ? app : null, List.copyOf(problems), Map.copyOf(v.positions));
    }

    private App app(YamlNode doc, Path spacefile) {
        if (doc instanceof Scalar s && s.isNull()) {
            f.error(doc, "", "the Spacefile is empty: it needs 'v: 0' and a 'micros:' list");
            return null;
        }
        Mapping m = f.object(doc, "", APP_KEYS);
        if (m == null) return null;
        version(m);
        String icon = f.string(m, "icon", "");
        String appName = f.string(m, "app_name", "");
        if (appName != null && appName.codePointCount(0, appName.length()) > MAX_APP_NAME)
            f.error(m.get("app_name"), "app_name", "'" + appName + "' is too long: Space allows at most " + MAX_APP_NAME + " characters");
        Boolean autoPwa = f.bool(m, "auto_pwa", "");
        if (icon != null && !icon.isEmpty()) {
            Path p = resolve(root, icon);
            if (p == null) f.error(m.get("icon"), "icon", unusable(icon));
            else if (!Files.exists(p)) f.warning(m.get("icon"), "icon", "file '" + icon + "' does not exist", false);
        }

        List<Micro> micros = new ArrayList<>();
        if (f.require(m, "micros", "", "add a 'micros:' list with at least one micro")) {
            Sequence list = f.list(m, "micros", "");
            if (list != null) {
                if (list.items().size() > MAX_MICROS)
                    f.error(list, "micros", "an app has at most " + MAX_MICROS + " micros, this one lists " + list.items().size());
                for (int i = 0; i < list.items().size(); i++) {
                    Micro micro = micro(list.items().get(i), "micros[" + i + "]");
                    micros.add(micro);
                }
                appRules(list, micros);
            }
        }
        if (micros.contains(null)) return null;
        return new App(spacefile, root, appName, icon, autoPwa == null || autoPwa, List.copyOf(micros));
    }

    private void version(Mapping m) {
        YamlNode v = m.get("v");
        if (v == null) {
            f.error(m, "", "'v' is required: add 'v: 0' as the first line");
            return;
        }
        Long n = v instanceof Scalar s ? s.asInteger() : null;
        if (n == null) f.error(v, "v", "expected the number 0, got " + v.describe() + (v instanceof Scalar ? ": write 'v: 0' without quotes" : ""));
        else if (n != 0) f.error(v, "v", n + " is not a Spacefile version: the only version is 0");
    }

    private Micro micro(YamlNode node, String field) {
        Mapping m = f.object(node, field, MICRO_KEYS);
        if (m == null) return null;
        boolean ok = f.require(m, "name", field, "add 'name:' (letters, digits, '-' and '_')");
        ok &= f.require(m, "src", field, "add 'src:' with the micro's folder relative to the Spacefile, such as 'src: .'");
        ok &= f.require(m, "engine", field, "add 'engine:' (one of " + Engine.supported() + ")");
        String name = f.string(m, "name", field);
        if (name != null && !NAME.matcher(name).matches())
            f.error(m.get("name"), field + ".name", "'" + name + "' is not a valid micro name: start with a letter or digit and use only letters, digits, '-' and '_'");
        String src = f.string(m, "src", field);
        Engine engine = engine(m, field);
        Boolean primary = f.bool(m, "primary", field);
        String path = f.string(m, "path", field);
        String serve = f.string(m, "serve", field);
        List<String> commands = f.strings(m, "commands", field, false, false);
        List<String> include = f.strings(m, "include", field, true, false);
        String run = f.string(m, "run", field);
        String dev = f.string(m, "dev", field);
        List<String> routes = f.strings(m, "public_routes", field, true, true);
        Boolean isPublic = f.bool(m, "public", field);
        Boolean provideActions = f.bool(m, "provide_actions", field);
        List<EnvVar> env = new ArrayList<>();
        boolean apiKeys = presets(m, field, env);
        List<Action> actions = actions(m, field);

        if (engine == Engine.STATIC && m.entry("serve") == null)
            f.error(m, field, "a static micro needs 'serve:' (the folder to serve, relative to src, such as 'serve: .')");
        if (engine != null && !engine.staticLike() && m.entry("serve") != null)
            f.error(m.entry("serve").key(), field + ".serve", "'serve' is only for the static, react, vue and svelte engines; " + engine + " micros start with 'run'");
        if (engine != null && engine.staticLike() && m.entry("include") != null)
            f.error(m.entry("include").key(), field + ".include", "'include' is not allowed on the " + engine + " engine: it serves the 'serve' folder");
        if (m.entry("public") != null && m.entry("public_routes") != null)
            f.error(m.entry("public_routes").key(), field + ".public_routes", "use either 'public' or 'public_routes', not both ('public: true' is the same as public_routes: [\"/*\"])");
        if (src != null) sourceChecks(m, field, src, engine, serve, include);
        if (engine == Engine.CUSTOM && run == null)
            f.warning(m, field, "a custom micro needs 'run:' to start: micros cannot guess its command", false);

        if (!ok || name == null || src == null || engine == null) return null;
        positions.put(name, new int[] {m.line(), m.column()});
        return new Micro(name, src, engine, primary != null && primary, path, serve, orEmpty(commands), orEmpty(include),
                run, dev, List.copyOf(env), apiKeys, orEmpty(routes), isPublic != null && isPublic,
                provideActions != null && provideActions, actions);
    }

    private Engine engine(Mapping m, String field) {
        String id = f.string(m, "engine", field);
        if (id == null) return null;
        Engine e = Engine.byId(id);
        if (e != null) return e;
        String hint = id.startsWith("python") ? "; Space ran python3.9 and python3.8: use one of them"
                : id.startsWith("node") ? "; use nodejs16 (micros runs the node on your PATH)"
                : "; for any other runtime use 'custom' with a 'run' command";
        f.error(m.get("engine"), field + ".engine", "'" + id + "' is not a supported engine (supported: " + Engine.supported() + ")" + hint);
        return null;
    }

    private void sourceChecks(Mapping m, String field, String src, Engine engine, String serve, List<String> include) {
        Path dir = resolve(root, src);
        if (dir == null) {
            f.error(m.get("src"), field + ".src", unusable(src));
            return;
        }
        dir = dir.normalize();
        if (!dir.startsWith(root)) {
            f.error(m.get("src"), field + ".src", "'" + src + "' is outside the project folder: a micro's src must be inside it");
            return;
        }
        if (!Files.isDirectory(dir)) {
            f.warning(m.get("src"), field + ".src", "folder '" + src + "' does not exist (paths are relative to the Spacefile's folder)", true);
            return;
        }
        if (leadsOut(dir)) {
            f.error(m.get("src"), field + ".src", outside("src", src, "a symlink on the way leads outside the project folder"));
            return;
        }
        if (include != null && m.get("include") instanceof Sequence items)
            for (int i = 0; i < include.size() && i < items.items().size(); i++)
                insideProject(items.items().get(i), field + ".include[" + i + "]", "include", include.get(i), dir);
        String folder = serve != null ? serve : engine != null ? engine.defaultServe() : null;
        Path served = folder == null ? null : resolve(dir, folder);
        if (folder != null && served == null) {
            f.error(m.get("serve") != null ? m.get("serve") : m, field + ".serve", unusable(folder));
            return;
        }
        if (serve != null && !insideProject(m.get("serve"), field + ".serve", "serve", serve, dir)) return;
        if (engine != null && engine.staticLike() && served != null && !Files.isDirectory(served)) {
            YamlNode at = m.get("serve") != null ? m.get("serve") : m;
            f.warning(at, field + ".serve", "folder '" + folder + "' does not exist in '" + src + "'"
                    + (serve == null ? " (the " + engine + " engine serves it by default)" : "") + ": build it first, or run with --build", true);
        }
    }

    /**
     * Whether a 'serve' or 'include' path stays inside the project (symlinks included), reporting an
     * error naming the field and the path when not: on Space nothing outside the pushed project existed.
     */
    private boolean insideProject(YamlNode at, String field, String key, String p, Path microDir) {
        if (p.strip().startsWith("/")) {
            f.error(at, field, "'" + p + "' is an absolute path: '" + key + "' paths are relative to the micro's folder (its src), such as '"
                    + key + ": " + (key.equals("serve") ? "dist" : "static/") + "'");
            return false;
        }
        Path target;
        try {
            target = microDir.resolve(p.strip()).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            f.error(at, field, unusable(p));
            return false;
        }
        if (!target.startsWith(root)) {
            f.error(at, field, outside(key, p, "it climbs out of the project folder"));
            return false;
        }
        if (leadsOut(target)) {
            f.error(at, field, outside(key, p, "a symlink on the way leads outside the project folder"));
            return false;
        }
        return true;
    }

    /** Whether an existing path inside the project resolves, through symlinks, to somewhere outside it. */
    private boolean leadsOut(Path p) {
        if (!Files.exists(p)) return false;
        try {
            return !p.toRealPath().startsWith(root.toRealPath());
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static String outside(String key, String p, String why) {
        return "'" + key + ": " + p + "' is outside the project: " + why + "; on Space nothing outside the pushed project existed, so keep "
                + key + " paths inside it";
    }

    private boolean presets(Mapping m, String field, List<EnvVar> env) {
        YamlNode node = m.get("presets");
        if (node == null) return false;
        String pf = field + ".presets";
        Mapping p = f.object(node, pf, PRESET_KEYS);
        if (p == null) return false;
        Sequence list = f.list(p, "env", pf);
        if (list != null) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < list.items().size(); i++) {
                String ef = pf + ".env[" + i + "]";
                Mapping e = f.object(list.items().get(i), ef, ENV_KEYS);
                if (e == null) continue;
                f.require(e, "name", ef, "add 'name:' with the variable's name");
                String name = f.string(e, "name", ef);
                String description = f.string(e, "description", ef);
                String value = f.string(e, "default", ef);
                if (name == null) continue;
                if (seen.putIfAbsent(name, i) != null)
                    f.warning(e.get("name"), ef + ".name", "'" + name + "' is already defined at env[" + seen.get(name) + "]; the first one wins", false);
                else env.add(new EnvVar(name, description, value));
            }
        }
        Boolean apiKeys = f.bool(p, "api_keys", pf);
        return apiKeys != null && apiKeys;
    }

    private List<Action> actions(Mapping m, String field) {
        Sequence list = f.list(m, "actions", field);
        if (list == null) return List.of();
        if (list.items().size() > MAX_ACTIONS)
            f.error(list, field + ".actions", "a micro has at most " + MAX_ACTIONS + " actions, this one lists " + list.items().size());
        List<Action> out = new ArrayList<>();
        for (int i = 0; i < list.items().size(); i++) {
            String af = field + ".actions[" + i + "]";
            Mapping a = f.object(list.items().get(i), af, ACTION_KEYS);
            if (a == null) continue;
            f.require(a, "id", af, "add 'id:', unique across the app");
            f.require(a, "name", af, "add 'name:', unique across the app");
            f.require(a, "trigger", af, "add 'trigger: schedule'");
            f.require(a, "default_interval", af, "add 'default_interval:' with a rate such as '1 hour' or a cron expression such as \"0 10 * * *\"");
            String id = f.string(a, "id", af), name = f.string(a, "name", af);
            String description = f.string(a, "description", af), trigger = f.string(a, "trigger", af);
            String interval = f.string(a, "default_interval", af), path = f.string(a, "path", af);
            if (trigger != null && !trigger.equals("schedule"))
                f.error(a.get("trigger"), af + ".trigger", "'" + trigger + "' is not a trigger: the only trigger is 'schedule'");
            if (description != null && description.codePointCount(0, description.length()) > MAX_DESCRIPTION)
                f.error(a.get("description"), af + ".description", "the description has " + description.codePointCount(0, description.length())
                        + " characters: Space allows at most " + MAX_DESCRIPTION);
            Schedule schedule = null;
            if (interval != null) {
                try {
                    schedule = Schedule.parse(interval);
                } catch (IllegalArgumentException e) {
                    f.error(a.get("default_interval"), af + ".default_interval", e.getMessage());
                }
            }
            if (id != null && name != null && schedule != null) out.add(new Action(id, name, description, interval, schedule, path));
        }
        return List.copyOf(out);
    }

    /** Rules across micros: unique names and paths, one primary, app-wide unique action ids and names. */
    private void appRules(Sequence list, List<Micro> micros) {
        Map<String, String> names = new HashMap<>(), paths = new HashMap<>(), actionIds = new HashMap<>(), actionNames = new HashMap<>();
        int primaries = 0;
        for (int i = 0; i < list.items().size(); i++) {
            if (!(list.items().get(i) instanceof Mapping m)) continue;
            String field = "micros[" + i + "]";
            String name = text(m.get("name"));
            if (name != null && names.putIfAbsent(name, field) != null)
                f.error(m.get("name"), field + ".name", "'" + name + "' is already the name of " + names.get(name) + ": micro names must be unique");
            Boolean primary = m.get("primary") instanceof Scalar s ? s.asBoolean() : null;
            boolean isPrimary = list.items().size() == 1 || Boolean.TRUE.equals(primary);
            if (list.items().size() == 1 && Boolean.FALSE.equals(primary))
                f.warning(m.get("primary"), field + ".primary", "an app's only micro is always primary; 'primary: false' is ignored", false);
            if (isPrimary && ++primaries > 1)
                f.error(m.get("primary"), field + ".primary", "only one micro can be primary: remove 'primary: true' here or from the other one");
            paths(m, field, name, isPrimary, paths);
            if (m.get("actions") instanceof Sequence actions) {
                for (int j = 0; j < actions.items().size(); j++) {
                    if (!(actions.items().get(j) instanceof Mapping a)) continue;
                    String af = field + ".actions[" + j + "]";
                    unique(a.get("id"), af + ".id", "action id", actionIds);
                    unique(a.get("name"), af + ".name", "action name", actionNames);
                }
            }
        }
        if (list.items().size() > 1 && primaries == 0)
            f.error(list, "micros", "with several micros, one needs 'primary: true': it serves / and every path no other micro claims");
        if (micros.contains(null)) return;
        for (int i = 0; i < micros.size(); i++) {
            Micro m = micros.get(i);
            boolean isPrimary = micros.size() == 1 || m.primary();
            String path = isPrimary ? "" : normalizePath(m.path() != null ? m.path() : m.name());
            micros.set(i, new Micro(m.name(), m.src(), m.engine(), isPrimary, path, m.serve(), m.commands(), m.include(),
                    m.run(), m.dev(), m.env(), m.apiKeys(), m.publicRoutes(), m.isPublic(), m.provideActions(), m.actions()));
        }
    }

    private void paths(Mapping m, String field, String name, boolean isPrimary, Map<String, String> paths) {
        YamlNode at = m.get("path");
        String given = text(at);
        if (isPrimary) {
            if (given != null && !normalizePath(given).isEmpty())
                f.warning(at, field + ".path", "the primary micro receives every path no other micro claims; its 'path' is ignored", false);
            return;
        }
        String raw = given != null ? given : name;
        if (raw == null) return;
        String p = normalizePath(raw);
        YamlNode where = at != null ? at : m;
        if (p.isEmpty()) {
            f.error(where, field + ".path", "'" + raw + "' is the primary micro's place: give this micro its own path, such as /api");
            return;
        }
        for (String segment : p.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || !PATH_SEGMENT.matcher(segment).matches()) {
                f.error(where, field + ".path", "'" + raw + "' is not a usable path: use segments of letters, digits, '-', '_', '.' and '~' separated by '/'");
                return;
            }
        }
        String first = p.split("/")[0];
        if (first.equals("__space") || first.equals("__micros")) {
            f.error(where, field + ".path", "'/" + first + "' is reserved for Space and micros: choose another path");
            return;
        }
        if (paths.putIfAbsent(p, field) != null)
            f.error(where, field + ".path", "'/" + p + "' is already the path of " + paths.get(p) + ": each micro needs its own path");
    }

    private void unique(YamlNode node, String field, String what, Map<String, String> seen) {
        String v = text(node);
        if (v != null && seen.putIfAbsent(v, field) != null)
            f.error(node, field, "'" + v + "' is already the " + what + " of " + seen.get(v) + ": " + what + "s must be unique across the app");
    }

    private static String text(YamlNode n) {
        return n instanceof Scalar s && !s.isNull() ? s.value() : null;
    }

    /** "/api/" and "api" are the same path: the segments without outer slashes. */
    static String normalizePath(String p) {
        String s = p.strip();
        while (s.startsWith("/")) s = s.substring(1);
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        return s;
    }

    /** The path inside a folder, or null when the text cannot name a file (a NUL character). */
    private static Path resolve(Path base, String p) {
        try {
            return base.resolve(relative(p));
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private static String unusable(String p) {
        return "'" + p.replace("\0", "\\0") + "' is not a usable path: it holds a character no file name can have";
    }

    /** Spacefile paths are relative to the project, even when written with a leading slash ('src: /'). */
    static String relative(String p) {
        String s = p.strip();
        while (s.startsWith("/")) s = s.substring(1);
        return s.isEmpty() ? "." : s;
    }

    private static <T> List<T> orEmpty(List<T> l) {
        return l == null ? List.of() : l;
    }
}
