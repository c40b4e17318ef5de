package micros.classic;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import micros.spacefile.App;
import micros.spacefile.App.Action;
import micros.spacefile.App.EnvVar;
import micros.spacefile.App.Micro;
import micros.spacefile.AwsCron;
import micros.spacefile.Detector;
import micros.spacefile.Engine;
import micros.spacefile.Problem;
import micros.spacefile.Schedule;
import micros.spacefile.Reading;
import micros.util.Json;
import micros.util.UserError;

/**
 * Reads a Deta Cloud micro (deta.sh, before Space): a folder with {@code .deta/prog_info} and
 * {@code main.py} or {@code index.js}, turned into an {@link App} of one primary micro that runs
 * on Space's nearest engine with Deta Cloud's access, environment names and cron. Bad input is
 * one sentence naming the field or the file, as the deta CLI refused it.
 */
public final class ClassicReader {
    private ClassicReader() {}

    /** The action id a prog_info cron becomes ({@code micros trigger cron}). */
    public static final String CRON_ACTION = "cron";
    private static final int MAX_BYTES = 1 << 20;

    /** Whether {@code file} is a {@code .deta/prog_info}. */
    public static boolean isProgInfo(Path file) {
        Path name = file.getFileName(), parent = file.toAbsolutePath().normalize().getParent();
        return name != null && name.toString().equals("prog_info") && parent != null && parent.getFileName() != null
                && parent.getFileName().toString().equals(".deta");
    }

    /** The folder's .deta/prog_info, or null when it is not a Deta Cloud micro. */
    public static Path find(Path dir) {
        Path p = dir.resolve(".deta").resolve("prog_info");
        return Files.isRegularFile(p) ? p : null;
    }

    /** The micro's folder: the one holding .deta/. */
    public static Path folder(Path progInfo) {
        Path deta = progInfo.toAbsolutePath().normalize().getParent();
        return deta.getParent();
    }

    public static Reading read(Path progInfo) {
        Path dir = folder(progInfo);
        String shown = progInfo.toString();
        ProgInfo info = parse(text(progInfo), dir, shown);
        List<Problem> problems = new ArrayList<>();
        List<Action> actions = new ArrayList<>();
        if (info.hasCron()) {
            Schedule schedule;
            try {
                schedule = AwsCron.parseDeta(info.cron());
            } catch (IllegalArgumentException e) {
                throw UserError.config(shown + ": cron: " + e.getMessage());
            }
            try {
                schedule.first(Instant.now());
                actions.add(new Action(CRON_ACTION, CRON_ACTION, "deta cron set \"" + info.cron().strip() + "\"", info.cron().strip(), schedule, null));
            } catch (IllegalStateException e) { // a year that is past: nothing left to fire
                problems.add(new Problem(Problem.Severity.WARNING, false, shown, 1, 1, "cron", "'" + info.cron() + "' has no run left (its years are past), so it never fires"));
            }
        }
        List<EnvVar> env = info.envs().stream().map(n -> new EnvVar(n, "named in prog_info's envs (Deta kept the value)", null)).toList();
        Micro m = new Micro(microName(info, dir), ".", engine(info.runtime()), true, null, null, List.of(), List.of(), null, null, env,
                !info.isPublic(), List.of(), info.isPublic(), false, List.copyOf(actions));
        App app = new App(progInfo, dir, info.name().isEmpty() ? null : info.name(), null, false, List.of(m), info);
        return new Reading(app, List.copyOf(problems), Map.of(m.name(), new int[] {1, 1}));
    }

    /** Space's nearest engine: Python 3.7 and 3.8 on python3.8, 3.9 on python3.9, Node.js 12 and 14 on nodejs16. */
    public static Engine engine(String runtime) {
        return switch (runtime) {
            case "python3.9" -> Engine.PYTHON39;
            case "python3.7", "python3.8" -> Engine.PYTHON38;
            default -> Engine.NODEJS16;
        };
    }

    private static String text(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(MAX_BYTES + 1);
            if (b.length > MAX_BYTES) throw UserError.config(file + " is over 1 MiB: the deta CLI wrote a few hundred bytes of JSON there, so this is not one");
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw UserError.config(file + " cannot be read: " + e.getMessage());
        }
    }

    /** The fields micros uses, each checked for its type; the entry file checked against the runtime. */
    static ProgInfo parse(String text, Path dir, String shown) {
        Map<String, Object> json;
        try {
            json = Json.object(text);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw UserError.config(shown + " is not JSON (" + e.getMessage() + "): restore the file the deta CLI wrote, or delete the .deta folder and write a Spacefile ('" + micros.util.Programs.INVOCATION + " init')");
        }
        String runtime = string(json, "runtime", shown);
        String entry = entry(dir);
        boolean guessed = runtime.isEmpty();
        if (guessed) runtime = entry.equals("main.py") ? ProgInfo.PYTHON.get(0) : ProgInfo.NODE.get(0);
        else if (!ProgInfo.PYTHON.contains(runtime) && !ProgInfo.NODE.contains(runtime))
            throw UserError.config(shown + ": runtime '" + runtime + "' is not one Deta ran: use one of " + String.join(", ", ProgInfo.PYTHON) + ", " + String.join(", ", ProgInfo.NODE));
        String expected = runtime.startsWith("python") ? "main.py" : "index.js";
        if (!entry.equals(expected))
            throw UserError.config(dir + " has " + entry + " but prog_info's runtime is " + runtime + ", which runs " + expected + ": rename the file or fix the runtime in " + shown);
        List<String> envs = new ArrayList<>();
        Object e = json.get("envs");
        if (e != null && !(e instanceof List<?>)) throw UserError.config(shown + ": envs should be a list of variable names, not " + describe(e));
        if (e instanceof List<?> list)
            for (Object n : list) {
                if (!(n instanceof String s) || !s.matches("[A-Za-z_][A-Za-z0-9_]*"))
                    throw UserError.config(shown + ": envs holds " + describe(n) + ", which is not an environment variable name");
                if (!envs.contains(s)) envs.add(s);
            }
        Object pub = json.get("public");
        if (pub != null && !(pub instanceof Boolean)) throw UserError.config(shown + ": public should be true or false, not " + describe(pub));
        return new ProgInfo(string(json, "id", shown), string(json, "name", shown), runtime, guessed, string(json, "path", shown),
                string(json, "project", shown), string(json, "region", shown), List.copyOf(envs), Boolean.TRUE.equals(pub), string(json, "cron", shown));
    }

    /** main.py or index.js, as the deta CLI looked for them: exactly one, directly in the folder. */
    static String entry(Path dir) {
        boolean py = Files.isRegularFile(dir.resolve("main.py")), js = Files.isRegularFile(dir.resolve("index.js"));
        if (py && js) throw UserError.config(dir + ": conflicting entrypoint files present (main.py and index.js): a Deta Cloud micro runs one of them; move the other into a subfolder");
        if (!py && !js) throw UserError.config(dir + " has no entry file: a Deta Cloud micro runs main.py (exposing app) or index.js (exporting app)");
        return py ? "main.py" : "index.js";
    }

    private static String string(Map<String, Object> json, String field, String shown) {
        Object v = json.get(field);
        if (v == null) return "";
        if (!(v instanceof String s)) throw UserError.config(shown + ": " + field + " should be a string, not " + describe(v));
        return s.strip();
    }

    private static String describe(Object v) {
        return v instanceof String s ? "'" + s + "'" : v instanceof Map<?, ?> ? "an object" : v instanceof List<?> ? "a list" : String.valueOf(v);
    }

    /** prog_info's name as a micro name (letters, digits, '-' and '_'), else the folder's. */
    static String microName(ProgInfo info, Path dir) {
        String s = info.name().replaceAll("[^A-Za-z0-9_-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
        if (s.length() > 63) s = s.substring(0, 63);
        return s.isEmpty() ? Detector.name(dir) : s;
    }
}
