package micros.export;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import micros.data.tls.LocalCa;
import micros.runtime.StateDir;
import micros.spacefile.App;

/**
 * What an export never copies into an image, whatever the ignore rules and include lists say:
 * any {@code .micros} folder; the state folder (the project key, Base logs, Drive files,
 * run.properties with the owner token after an unclean stop), the CA's folder and the export's
 * own folder, wherever they are; a file holding the project key or a token micros knows of,
 * and an .npmrc holding a registry's credential, which are left out and named in {@link #notes}
 * so that the owner can move the secret out.
 */
final class Leaks {
    static final String STATE = ".micros";
    private static final int SHORTEST = 8; // shorter "secrets" would match ordinary bytes
    private final Set<Path> folders = new HashSet<>();
    private final List<Secret> secrets = new ArrayList<>();
    private final Set<String> notes = new java.util.LinkedHashSet<>(); // a file two micros share is named once
    private int longest;

    private record Secret(byte[] bytes, String what) {}

    /** @param env the environment the export runs in (secrets given to micros there are looked for too) */
    static Leaks of(App app, Map<String, String> env) throws IOException {
        Leaks l = new Leaks();
        StateDir state = StateDir.of(app.root());
        l.withhold(state.path());
        l.withhold(LocalCa.defaultDir());
        Path key = state.path().resolve("project-key");
        if (Files.isReadable(key)) l.projectKey(Files.readString(key).strip());
        state.readRun().ifPresent(run -> l.add(run.get("owner_token"), "the owner token"));
        l.projectKey(env.get("DETA_PROJECT_KEY"));
        l.projectKey(env.get("MICROS_PROJECT_KEY"));
        l.add(env.get("MICROS_OWNER_TOKEN"), "the owner token");
        l.add(env.get("DETA_API_KEY"), "DETA_API_KEY");
        l.add(env.get("MICROS_GATEWAY_KEY"), "the gateway's key (MICROS_GATEWAY_KEY)");
        for (String k : env.getOrDefault("MICROS_API_KEYS", "").split(",")) l.add(k, "an API key");
        return l;
    }

    private void projectKey(String key) {
        if (!StateDir.isProjectKey(key)) return;
        add(key, "the project key (DETA_PROJECT_KEY)");
        add(key.substring(key.indexOf('_') + 1), "the project key's secret half");
    }

    private void add(String secret, String what) {
        if (secret == null || secret.strip().length() < SHORTEST) return;
        byte[] b = secret.strip().getBytes(StandardCharsets.UTF_8);
        secrets.add(new Secret(b, what));
        longest = Math.max(longest, b.length);
    }

    /** Never copies this folder (the export's own, once it exists). */
    void withhold(Path folder) {
        folders.add(real(folder));
    }

    /** Whether a folder is never copied (its subtree is skipped). */
    boolean folder(Path dir) {
        return dir.getFileName() != null && dir.getFileName().toString().equals(STATE) || folders.contains(real(dir));
    }

    /** Whether a file holds a secret; if so, it is noted as {@code shown} (the path the owner knows it by). */
    boolean holdsSecret(Path file, String shown) throws IOException {
        if (file.getFileName().toString().equals(".npmrc") && Files.size(file) < (1 << 20)
                && Files.readString(file, StandardCharsets.ISO_8859_1).matches("(?s).*(_authToken|_auth|_password)\\s*=.*")) {
            notes.add("left " + shown + " out of the export: it holds a package registry's credential, which would be in the image for anyone"
                    + " who can pull it; give it to docker build as the secret npmrc instead (README.md says how)");
            return true;
        }
        String what = secretIn(file);
        if (what == null) return false;
        notes.add("left " + shown + " out of the export: it holds " + what + ", which would be in the image for anyone who can pull it;"
                + " micros gives the micros their secrets from the cluster's Secret. Move it out of the file, or list the file in .spaceignore");
        return true;
    }

    /** The kind of secret the file holds, or null: read once, in blocks that overlap by the longest secret. */
    String secretIn(Path file) throws IOException {
        if (secrets.isEmpty()) return null;
        byte[] buf = new byte[(64 << 10) + longest];
        try (InputStream in = Files.newInputStream(file)) {
            int kept = 0;
            for (int n; (n = in.read(buf, kept, buf.length - kept)) >= 0; ) {
                int len = kept + n;
                for (Secret s : secrets) if (indexOf(buf, len, s.bytes) >= 0) return s.what;
                kept = Math.min(len, longest - 1);
                System.arraycopy(buf, len - kept, buf, 0, kept);
            }
        }
        return null;
    }

    private static int indexOf(byte[] hay, int len, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= len; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** The warnings to print: one per file left out for a secret. */
    List<String> notes() {
        return List.copyOf(notes);
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }
}
