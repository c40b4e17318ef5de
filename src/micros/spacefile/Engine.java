package micros.spacefile;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The engines a Spacefile may name, as Space's schema lists them. */
public enum Engine {
    STATIC("static"), REACT("react"), SVELTE("svelte"), VUE("vue"), NEXT("next"), NUXT("nuxt"),
    SVELTE_KIT("svelte-kit"), PYTHON39("python3.9"), PYTHON38("python3.8"), NODEJS16("nodejs16"), CUSTOM("custom");

    private final String id;

    Engine(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Engine byId(String id) {
        for (Engine e : values()) if (e.id.equals(id)) return e;
        return null;
    }

    public static String supported() {
        return Arrays.stream(values()).map(Engine::id).collect(Collectors.joining(", "));
    }

    /** static and the engines built on it: served from a folder, no process. */
    public boolean staticLike() {
        return this == STATIC || this == REACT || this == VUE || this == SVELTE;
    }

    public boolean python() {
        return this == PYTHON39 || this == PYTHON38;
    }

    /** Engines started by an npm script (full-stack frameworks). */
    public boolean npmFramework() {
        return this == NEXT || this == NUXT || this == SVELTE_KIT;
    }

    /** The folder a static-like engine serves when the Spacefile gives no 'serve'. */
    public String defaultServe() {
        return switch (this) {
            case REACT -> "build";
            case VUE -> "dist";
            case SVELTE -> "public";
            default -> null;
        };
    }

    /**
     * The folder a full-stack framework's `npm run build` writes (svelte-kit's own, whatever its
     * adapter; adapter-node also writes build/), or null. The build step and the export both build
     * when it is missing after the micro's commands.
     */
    public String buildOutput() {
        return switch (this) {
            case NEXT -> ".next";
            case NUXT -> ".output";
            case SVELTE_KIT -> ".svelte-kit";
            default -> null;
        };
    }

    @Override
    public String toString() {
        return id;
    }
}
