package micros.build;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import micros.runtime.Log;
import micros.sandbox.BuildSandbox;

/**
 * What every build step of a run shares.
 * @param buildRoot the state folder's build/ (one folder per micro below it)
 * @param shell     the environment micros was started with: pip and npm get it whole (indexes, proxies, offline wheel folders)
 * @param user      the user the micro runs as, when that is another user than micros' own; null otherwise
 * @param install   false with --no-install
 * @param builds    where each step's processes run, and are ended
 * @param app       the app being built
 */
record Context(Path buildRoot, Log log, Map<String, String> shell, Access user, boolean install, boolean dev, BuildSandbox builds,
               micros.spacefile.App app) {

    /** "Space ran Python 3.9", or what Deta ran a Deta Cloud micro on: for the line saying which version runs. */
    String ran(micros.spacefile.App.Micro m) {
        return app.ran(m);
    }

    /** " as uid 900003" (the user the micro runs as, for its interpreter line), or "" when it runs as micros' own user. */
    String as() {
        return user == null ? "" : " as " + user.who();
    }

    Path dir(String micro) {
        return buildRoot.resolve(micro);
    }

    /** The shell's environment with a few defaults that keep tools quiet and off the network when they need not be on it. */
    Map<String, String> toolEnv(Map<String, String> defaults) {
        Map<String, String> env = new HashMap<>(defaults);
        env.putAll(shell);
        env.keySet().removeAll(micros.runtime.MicroEnvironment.SECRETS); // installs need no owner token or API keys
        return env;
    }
}
