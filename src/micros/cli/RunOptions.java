package micros.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.runtime.StateDir;
import micros.spacefile.App;
import micros.spacefile.App.EnvVar;
import micros.spacefile.App.Micro;
import micros.spacefile.Problem;
import micros.spacefile.SpacefileReader;
import micros.spacefile.Reading;
import micros.util.UserError;
import micros.util.Units;

/** The options `run` and `check` share, turned into a {@link RunConfig}; and loading the app. */
public final class RunOptions {
    public static final List<String> FLAGS = List.of("--dev", "--build", "--public", "--no-limits", "--no-sandbox", "--freeze", "--no-freeze", "--no-install");
    public static final List<String> VALUED = List.of("--port", "--host", "--idle", "--env", "--env-file", "--log-format", "--app-version",
            "--timeout", "--read-timeout", "--memory", "--pids", "--payload", "--owner-token", "--api-key", "--tmp", "--user",
            "--owner-token-file", "--api-key-file", "--instances");

    private RunOptions() {}

    public static List<String> flags(String... more) {
        List<String> all = new ArrayList<>(FLAGS);
        all.addAll(List.of(more));
        return all;
    }

    public static List<String> valued(String... more) {
        List<String> all = new ArrayList<>(VALUED);
        all.addAll(List.of(more));
        return all;
    }

    public static RunConfig config(Options o, Path spacefile, int defaultPort) {
        int port = port(o.value("--port", Integer.toString(defaultPort)));
        String host = o.value("--host", "127.0.0.1");
        Listening.check(host, port); // before any install runs: a taken port or a bad address is known now
        Duration idle = Units.duration("--idle", o.value("--idle", "5m"));
        String format = o.value("--log-format", "text");
        Log.Format logFormat = switch (format) {
            case "text" -> Log.Format.TEXT;
            case "json" -> Log.Format.JSON;
            default -> throw UserError.config("--log-format " + format + ": use text or json");
        };
        Map<String, String> env = new LinkedHashMap<>();
        for (String file : o.all("--env-file")) env.putAll(envFile(Path.of(file)));
        for (String pair : o.all("--env")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) throw UserError.config("--env " + pair + ": write NAME=VALUE");
            env.put(name("--env", pair.substring(0, eq)), pair.substring(eq + 1));
        }
        String owner = ownerToken(o, System.getenv());
        List<String> keys = apiKeys(o, System.getenv());
        return new RunConfig(spacefile, host, port, o.flag("--dev"), o.flag("--build"), idle, Map.copyOf(env),
                o.flag("--public"), logFormat, o.value("--app-version", "dev"), limits(o, micros.classic.ClassicReader.isProgInfo(spacefile)), owner, List.copyOf(keys), sandboxing(o),
                o.flag("--freeze") || !o.flag("--no-freeze") && !o.flag("--dev"), !o.flag("--no-install"), instances(o));
    }

    /** The most instances a micro may have at once (--instances): each serves one request at a time; 1 is one process taking them all. */
    static int instances(Options o) {
        String text = o.value("--instances", Integer.toString(RunConfig.INSTANCES));
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > MAX_INSTANCES)
            throw UserError.config("--instances " + text + ": use a whole number from 1 to " + MAX_INSTANCES
                    + " (instances per micro, each serving one request at a time; 1 runs one process that takes every request, as micros did before)");
        return n;
    }

    /** Past this many processes per micro a machine runs out of cores and memory long before the app learns anything. */
    static final int MAX_INSTANCES = 256;

    /** Environment variables that hold secrets for micros itself: never passed on to micros or builds. */
    public static final String OWNER_ENV = "MICROS_OWNER_TOKEN", KEYS_ENV = "MICROS_API_KEYS";

    /** A secret and where it came from, as the start-up lines name it; {@code from} is null when micros made it up for this run. */
    record Given<T>(T value, String from) {}

    /** Where the owner token and the API keys came from (null: random), for the start-up lines. */
    public record SecretSources(String ownerToken, String apiKeys) {}

    static SecretSources sources(Options o, Map<String, String> environment) {
        return new SecretSources(owner(o, environment).from(), keys(o, environment).from());
    }

    static String ownerToken(Options o, Map<String, String> environment) {
        return owner(o, environment).value();
    }

    static List<String> apiKeys(Options o, Map<String, String> environment) {
        return keys(o, environment).value();
    }

    /**
     * The owner token from --owner-token, --owner-token-file or MICROS_OWNER_TOKEN (the first one
     * given, in that order), else a random one. A file or the environment keep it out of
     * /proc/PID/cmdline, which every local user and every micro can read.
     */
    private static Given<String> owner(Options o, Map<String, String> environment) {
        String owner = o.value("--owner-token", null);
        String from = "--owner-token";
        String where = "the --owner-token value";
        if (owner == null && o.value("--owner-token-file", null) != null) {
            owner = secretFile("--owner-token-file", o.value("--owner-token-file", null)).strip();
            from = "--owner-token-file";
            where = "the contents of " + o.value("--owner-token-file", null);
        }
        if (owner == null && environment.get(OWNER_ENV) != null && !environment.get(OWNER_ENV).isBlank()) {
            owner = environment.get(OWNER_ENV).strip();
            from = OWNER_ENV;
            where = "$" + OWNER_ENV;
        }
        if (owner == null) return new Given<>(StateDir.token(), null);
        if (owner.length() < 8) throw UserError.config(from + ": use at least 8 characters (it is the only thing guarding the app)");
        if (!owner.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ';' && c != ','))
            throw UserError.config(from + ": use printable ASCII without spaces, ';' or ',' (the token travels in a cookie)");
        return new Given<>(owner, where);
    }

    /** API keys from --api-key, --api-key-file (one a line) and MICROS_API_KEYS (comma-separated); a random one when none. */
    private static Given<List<String>> keys(Options o, Map<String, String> environment) {
        List<String> keys = new ArrayList<>(o.all("--api-key"));
        List<String> where = new ArrayList<>();
        if (!keys.isEmpty()) where.add("the --api-key value" + (keys.size() > 1 ? "s" : ""));
        for (String file : o.all("--api-key-file")) {
            int before = keys.size();
            for (String line : secretFile("--api-key-file", file).split("\\R"))
                if (!line.isBlank() && !line.strip().startsWith("#")) keys.add(line.strip());
            if (keys.size() > before) where.add("the lines of " + file);
        }
        String env = environment.get(KEYS_ENV);
        if (keys.isEmpty() && env != null) {
            for (String k : env.split(",")) if (!k.isBlank()) keys.add(k.strip());
            if (!keys.isEmpty()) where.add("$" + KEYS_ENV);
        }
        return keys.isEmpty() ? new Given<>(List.of(StateDir.token()), null) : new Given<>(keys, String.join(" and ", where));
    }

    private static String secretFile(String option, String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException | java.nio.file.InvalidPathException | java.io.UncheckedIOException e) {
            throw UserError.config(option + " " + file + ": cannot read it (" + why(e) + ")");
        }
    }

    /** Why a file could not be read, in words: the JDK's exceptions carry only the path. */
    static String why(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e.getCause() instanceof java.nio.charset.CharacterCodingException || e instanceof java.nio.charset.CharacterCodingException) return "not UTF-8 text";
        if (e instanceof IOException && e.getMessage() != null && e.getMessage().contains("Is a directory")) return "it is a folder";
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static RunConfig.Sandboxing sandboxing(Options o) {
        long tmp = Units.size("--tmp", o.value("--tmp", "512M"));
        if (tmp < (4L << 20)) throw UserError.config("--tmp " + o.value("--tmp", "") + ": at least 4M (Space gave micros 512M)");
        String user = o.value("--user", micros.sandbox.Sandbox.defaultUser());
        if (user != null && user.isBlank()) throw UserError.config("--user: give a user name or a numeric uid");
        return new RunConfig.Sandboxing(!o.flag("--no-sandbox") && !o.flag("--dev"), tmp, user);
    }

    /** Space's limits, or a Deta Cloud micro's (10s and 128M by default, at most 20s and 1G). */
    static RunConfig.Limits limits(Options o, boolean detaCloud) {
        RunConfig.Limits d = detaCloud ? micros.classic.DetaLimits.DEFAULTS : RunConfig.Limits.SPACE;
        Duration timeout = Units.duration("--timeout", o.value("--timeout", Units.format(d.timeout())));
        if (timeout.isZero()) throw UserError.config("--timeout 0: a micro needs some time to answer; " + (detaCloud ? "Deta's limit was 10s" : "Space's limit is 20s"));
        long memory = Units.size("--memory", o.value("--memory", Long.toString(d.memory())));
        if (memory < (8L << 20)) throw UserError.config("--memory " + o.value("--memory", "") + ": too small for any runtime (at least 8M)");
        String pidsText = o.value("--pids", Integer.toString(d.pids()));
        int pids;
        try {
            pids = Integer.parseInt(pidsText);
        } catch (NumberFormatException e) {
            throw UserError.config("--pids " + pidsText + ": use a whole number of processes and threads (Space's limit is 1024)");
        }
        if (pids < 1) throw UserError.config("--pids " + pids + ": at least 1");
        long payload = Units.size("--payload", o.value("--payload", Long.toString(d.payload())));
        if (payload < 1) throw UserError.config("--payload 0: use a positive size (Space's limit is 5.5M)");
        Duration read = Units.duration("--read-timeout", o.value("--read-timeout", Units.format(RunConfig.Limits.READ)));
        if (read.isZero()) throw UserError.config("--read-timeout 0: a client needs some time to send its request (default 30s)");
        RunConfig.Limits limits = new RunConfig.Limits(timeout, memory, pids, payload, !o.flag("--no-limits"), read);
        if (detaCloud) micros.classic.DetaLimits.check(limits);
        return limits;
    }

    private static int port(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 0 && p <= 65535) return p;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw UserError.config("--port " + s + ": use a number from 0 to 65535 (0 picks a free port)");
    }

    private static String name(String where, String n) {
        if (!n.matches("[A-Za-z_][A-Za-z0-9_]*")) throw UserError.config(where + ": '" + n + "' is not a valid environment variable name");
        return n;
    }

    /** NAME=VALUE lines; blank lines and # comments are skipped; "export " and surrounding quotes are allowed. */
    static Map<String, String> envFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw UserError.config("--env-file " + file + ": cannot read it (" + why(e) + ")");
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("export ")) line = line.substring(7).strip();
            int eq = line.indexOf('=');
            if (eq <= 0) throw UserError.config(file + ":" + (i + 1) + ": expected NAME=VALUE");
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'")))
                value = value.substring(1, value.length() - 1);
            env.put(name(file + ":" + (i + 1), line.substring(0, eq).strip()), value);
        }
        return env;
    }

    /** Reads the Spacefile; prints its problems; refuses an invalid one with exit code 2. */
    public static App load(Path file, PrintStream out) {
        Reading r = SpacefileReader.read(file);
        for (Problem p : r.problems()) if (p.isError() || !p.blocksRun()) out.println(p);
        if (!r.valid())
            throw UserError.config(file + " is invalid (" + ValidateCommand.plural(r.errors(), "error") + " above): fix it, then run again");
        return r.app();
    }

    /** --env values for names no micro declares are not passed: say so once. */
    public static void warnUndeclared(App app, RunConfig cfg, Log log) {
        for (String name : cfg.env().keySet()) {
            boolean declared = false;
            for (Micro m : app.micros()) for (EnvVar v : m.env()) declared |= v.name().equals(name);
            if (!declared)
                log.event("warning: " + name + " from --env/--env-file is not declared in " + (app.classic() != null
                        ? "prog_info's envs, so the micro does not receive it (Deta only set the variables `deta update -e` gave it)"
                        : "any micro's presets.env, so no micro receives it (Space only sets declared variables)"));
        }
    }

    /** A preset variable of a micro that has no value. */
    public record Unset(String micro, String name, boolean classic) {
        String problem() {
            return name + (classic ? " is in prog_info's envs, which holds names only (Deta kept the values), so the micro starts without it"
                    : " has no value and no default, so the micro starts without it")
                    + ": set it with --env " + name + "=VALUE or a line " + name + "=VALUE in an --env-file FILE";
        }
    }

    /**
     * Preset variables with no value (--env, --env-file, the shell with --dev) and no default: the
     * app would read None/undefined. Each is warned about; the list is returned (check --strict fails on it).
     */
    public static List<Unset> warnUnset(App app, RunConfig cfg, Log log) {
        List<Unset> unset = new ArrayList<>();
        for (Micro m : app.micros())
            for (EnvVar v : m.env()) {
                if (v.defaultValue() != null || cfg.env().containsKey(v.name()) || cfg.dev() && System.getenv(v.name()) != null) continue;
                Unset u = new Unset(m.name(), v.name(), app.classic() != null);
                unset.add(u);
                log.event("warning: micro '" + m.name() + "': " + u.problem());
            }
        return unset;
    }
}
