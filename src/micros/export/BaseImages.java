package micros.export;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import micros.spacefile.Engine;
import micros.util.UserError;

/**
 * The images the export builds on, in one place. By default the runtimes Space ran (Python 3.9
 * and 3.8, Node 16: all past their end of life), a Go toolchain for Space's Go pattern, Debian
 * for custom micros, and the JRE that runs the gateway; {@code --base-image KEY=IMAGE} replaces
 * one. Every image must be Debian-based (Ubuntu too): the micros' guard runs on perl-base.
 */
public record BaseImages(Map<String, String> images) {
    public static final String PYTHON39 = "python3.9", PYTHON38 = "python3.8", NODE = "nodejs16", CUSTOM = "custom", GO = "go", GATEWAY = "gateway";
    /** Each key's default and what it is for (--help and the README name them). */
    static final Map<String, String[]> DEFAULTS = defaults();

    private static Map<String, String[]> defaults() {
        Map<String, String[]> d = new LinkedHashMap<>();
        d.put(PYTHON39, new String[] {"python:3.9-slim", "python3.9 micros (Python 3.9: end of life since October 2025)"});
        d.put(PYTHON38, new String[] {"python:3.8-slim", "python3.8 micros (Python 3.8: end of life since October 2024)"});
        d.put(NODE, new String[] {"node:16-slim", "nodejs16, next, nuxt and svelte-kit micros and the frontends' builds (Node 16: end of life since September 2023)"});
        d.put(CUSTOM, new String[] {"debian:12-slim", "custom micros whose programs are neither Node's nor Python's"});
        d.put(GO, new String[] {"golang:1-bookworm", "the build stage of micros whose commands run go (the binary it builds runs on the custom image)"});
        d.put(GATEWAY, new String[] {"eclipse-temurin:17-jre", "the gateway (micros.jar needs Java 17 or later)"});
        return d;
    }

    /** The defaults with each {@code KEY=IMAGE} of {@code --base-image} in place of its key's. */
    public static BaseImages of(List<String> options) {
        Map<String, String> m = new LinkedHashMap<>();
        DEFAULTS.forEach((k, v) -> m.put(k, v[0]));
        for (String o : options) {
            int eq = o.indexOf('=');
            String key = eq < 0 ? o : o.substring(0, eq);
            if (eq < 0 || !DEFAULTS.containsKey(key))
                throw UserError.config("--base-image " + o + ": write KEY=IMAGE with KEY one of " + String.join(", ", DEFAULTS.keySet())
                        + ", for example --base-image python3.9=python:3.12-slim");
            String image = o.substring(eq + 1);
            if (!Names.imageReference(image))
                throw UserError.config("--base-image " + o + ": " + image + " is not an image reference (for example python:3.12-slim or registry.example.com/base/node:22-slim)");
            m.put(key, image);
        }
        return new BaseImages(Map.copyOf(m));
    }

    public static BaseImages defaultImages() {
        return of(List.of());
    }

    String get(String key) {
        return images.get(key);
    }

    /** The image a micro of this engine runs on (custom micros: see {@link Toolchains}). */
    String runtime(Engine e) {
        return switch (e) {
            case PYTHON39 -> get(PYTHON39);
            case PYTHON38 -> get(PYTHON38);
            case CUSTOM -> get(CUSTOM);
            default -> get(NODE);
        };
    }

    /** The image that has a kind of program (Python's: the one Space's default Python ran). */
    String of(Toolchains.Kind kind) {
        return switch (kind) {
            case GO -> get(GO);
            case NODE -> get(NODE);
            case PYTHON -> get(PYTHON39);
            default -> get(CUSTOM);
        };
    }

    /** The keys whose image is not the default. */
    List<String> replaced() {
        return DEFAULTS.keySet().stream().filter(k -> !DEFAULTS.get(k)[0].equals(images.get(k))).toList();
    }
}
