package micros.runtime;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import micros.spacefile.App.EnvVar;
import micros.spacefile.App.Micro;

/**
 * The environment a micro starts with. Run mode: a small clean base (Space micros never saw
 * the developer's shell) plus Space's variables and the presets. Dev mode: the shell's
 * environment passes through and overrides preset defaults, as `space dev` did.
 */
public final class MicroEnvironment {
    private MicroEnvironment() {}

    /** Values shared by every micro of a run. */
    public record Shared(String projectKey, String apiKey, String hostname, String appVersion) {}

    /** micros' own secrets (the owner token, API keys) given in the environment: never passed on. */
    public static final java.util.Set<String> SECRETS = java.util.Set.of("MICROS_OWNER_TOKEN", "MICROS_API_KEYS");

    /** The micro's preset variables that have a value: given with --env or --env-file, else (--dev) from the shell, else their default. */
    public static Map<String, String> presets(Micro m, boolean dev, Map<String, String> given, Map<String, String> shell) {
        Map<String, String> values = new HashMap<>();
        for (EnvVar v : m.env()) {
            String value = given.get(v.name());
            if (value == null && dev) value = shell.get(v.name());
            if (value == null) value = v.defaultValue();
            if (value != null) values.put(v.name(), value);
        }
        return values;
    }

    public static Map<String, String> build(Micro m, boolean dev, Map<String, String> given, Map<String, String> shell,
                                            Shared shared, int port, Path home, Path tmp, Map<String, String> engineEnv) {
        Map<String, String> env = new HashMap<>();
        if (dev) {
            env.putAll(shell);
            env.keySet().removeAll(SECRETS);
        } else {
            env.put("PATH", shell.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
            env.put("LANG", shell.getOrDefault("LANG", "C.UTF-8"));
            env.put("HOME", home.toString());
            env.put("TMPDIR", tmp.toString());
            env.put("TZ", "UTC");
        }
        Map<String, String> presets = presets(m, dev, given, shell);
        for (EnvVar v : m.env()) {
            String value = presets.get(v.name());
            if (value != null) env.put(v.name(), value);
            else if (!dev) env.remove(v.name());
        }
        String p = Integer.toString(port);
        env.put("PORT", p);
        engineEnv.forEach((k, v) -> env.put(k, v.equals("$PORT") ? p : v));
        env.put("DETA_PROJECT_KEY", shared.projectKey());
        env.put("DETA_SPACE_APP", "true");
        env.put("DETA_SPACE_APP_VERSION", shared.appVersion());
        env.put("DETA_SPACE_APP_HOSTNAME", shared.hostname());
        env.put("DETA_SPACE_APP_MICRO_NAME", m.name());
        env.put("DETA_SPACE_APP_MICRO_TYPE", m.primary() ? "primary" : "normal");
        env.put("DETA_API_KEY", shared.apiKey());
        return env;
    }
}
