package micros.export;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import micros.runtime.AppRuntime;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.util.UserError;

/**
 * {@code micros export knative}: writes, under one folder, an image and a Knative Service per
 * process micro, and the gateway (micros itself) as the app's front door. Files are written in
 * a fixed order with no dates or random values: the same app gives the same bytes.
 */
public final class KnativeExport {
    static final String MARKER = "<!-- written by micros export knative; running it again replaces this folder -->";

    private KnativeExport() {}

    /**
     * Writes the export; returns the files written, relative to {@code out}, in order. Nothing of
     * the state folder, and no file holding a secret, is copied (see Leaks): {@code warnings} gets
     * one line per file left out for a secret, and one per program an image may lack.
     * @param env the environment the export runs in (secrets in it are looked for in the files too)
     */
    public static List<String> write(App app, Path spacefile, Path out, Manifests.Names names, BaseImages images, Path jar, Map<String, String> env,
                                     Consumer<String> warnings) throws IOException {
        String clash = Names.clash(names.app(), app.micros());
        if (clash != null) throw UserError.config(clash);
        Leaks leaks = Leaks.of(app, env);
        String inSpacefile = leaks.secretIn(spacefile); // the gateway's image needs the Spacefile: it cannot be left out
        if (inSpacefile != null)
            throw UserError.config(spacefile + " holds " + inSpacefile + ": take it out (micros gives each micro DETA_PROJECT_KEY, and preset"
                    + " values come from the cluster's Secret), then export again");
        prepare(out);
        leaks.withhold(out);
        List<String> written = new ArrayList<>();
        List<Micro> remote = new ArrayList<>();
        List<Dockerfiles.Static> statics = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Path gatewayDir = out.resolve("gateway");
        for (Micro m : app.micros()) {
            Path src = app.root().resolve(relative(m.src())).normalize();
            String shown = relative(m.src());
            if (m.engine().staticLike()) {
                Path folder = src.resolve(m.serveFolder()).normalize();
                String rel = Package.relative(app.root(), folder);
                boolean build = !m.commands().isEmpty() || !Files.isDirectory(folder) && Files.isRegularFile(src.resolve("package.json"));
                List<String> files = build ? Package.files(src, leaks, shown) : Package.served(src, folder, leaks, relative(Package.relative(app.root(), folder)));
                Path target = build ? gatewayDir.resolve("build").resolve(m.name()) : gatewayDir.resolve("app").resolve(rel);
                Package.copy(build ? src : folder, files, target);
                Files.createDirectories(target);
                statics.add(new Dockerfiles.Static(m, rel, build, build ? DependencyFiles.node(src, files) : List.of(), DependencyFiles.locked(files)));
                continue;
            }
            remote.add(m);
            Path dir = out.resolve("micros").resolve(m.name());
            List<String> upload = Package.files(src, leaks, shown); // what `space push` uploaded: `include` applies after the build, in the image
            Package.copy(src, upload, dir.resolve("app"));
            Files.createDirectories(dir.resolve("app"));
            resource(Dockerfiles.GUARD, dir);
            String launcher = Dockerfiles.launcher(m);
            if (launcher != null) resource(launcher, dir);
            Dockerfiles.Image image = Dockerfiles.micro(app.displayName(), m, src, upload, images);
            notes.addAll(image.notes());
            text(out, "micros/" + m.name() + "/Dockerfile", image.dockerfile(), written);
            text(out, "micros/" + m.name() + "/service.yaml", Yaml.documents(List.of(Manifests.knative(names, m))), written);
        }
        Files.createDirectories(gatewayDir.resolve("app"));
        Files.copy(spacefile, gatewayDir.resolve("app").resolve("Spacefile"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(jar, gatewayDir.resolve("micros.jar"));
        text(out, "gateway/Dockerfile", Dockerfiles.gateway(app.displayName(), statics, images), written);
        boolean apiKeys = app.micros().stream().anyMatch(Micro::apiKeys);
        text(out, "gateway/gateway.yaml", Yaml.documents(Manifests.gateway(names, remote, apiKeys)), written);
        text(out, "gateway/kustomization.yaml", Yaml.documents(List.of(Kustomize.gateway(names))), written);
        text(out, "setup/network-policy.yaml", Yaml.documents(Manifests.networkPolicies(names)), written);
        text(out, "setup/" + Kustomize.SECRETS_FILE + ".example", Kustomize.secretsExample(remote, apiKeys), written);
        text(out, "setup/kustomization.yaml", Yaml.documents(List.of(Kustomize.setup(names))), written);
        text(out, "kustomization.yaml", Yaml.documents(List.of(Kustomize.app(names, remote))), written);
        text(out, "data/pod.yaml", Yaml.documents(List.of(Manifests.dataPod(names))), written);
        text(out, "data/kustomization.yaml", Yaml.documents(List.of(Kustomize.data(names))), written);
        text(out, "ingress.example.yaml", Yaml.documents(Manifests.ingress(names)), written);
        text(out, ".gitignore", "# what the README's steps make: secrets and the gateway's CA, never committed\nsetup/" + Kustomize.SECRETS_FILE
                + "\n" + Kustomize.CA_FOLDER + "/\n", written);
        text(out, "README.md", ExportReadme.text(app, names, images, remote, statics, apiKeys, notes, MARKER), written);
        leaks.notes().forEach(warnings);
        notes.forEach(warnings);
        return written;
    }

    /** Copies one of micros' own files (the guard, a launcher) from the jar into a micro's build context. */
    private static void resource(String name, Path dir) throws IOException {
        java.net.URL url = name.equals(Dockerfiles.GUARD) ? KnativeExport.class.getResource(name) : AppRuntime.class.getResource(name);
        if (url == null) throw UserError.runtime("this micros.jar lacks " + name);
        try (InputStream in = url.openStream()) {
            Files.write(dir.resolve(name), in.readAllBytes());
        }
    }

    /** An empty or missing folder, or one an earlier export wrote (then emptied); anything else is refused. */
    private static void prepare(Path out) throws IOException {
        if (Files.isDirectory(out)) {
            boolean empty;
            try (Stream<Path> list = Files.list(out)) {
                empty = list.findAny().isEmpty();
            }
            if (!empty) {
                Path readme = out.resolve("README.md");
                if (!Files.isRegularFile(readme) || !Files.readString(readme).startsWith(MARKER))
                    throw UserError.config("--out " + out + " is not empty and was not written by micros export: choose an empty or new folder");
                try (Stream<Path> walk = Files.walk(out)) {
                    for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) if (!p.equals(out)) Files.delete(p);
                }
            }
        } else if (Files.exists(out)) {
            throw UserError.config("--out " + out + " is a file: give a folder");
        }
        Files.createDirectories(out);
    }

    private static void text(Path out, String rel, String content, List<String> written) throws IOException {
        Path p = out.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, content.getBytes(StandardCharsets.UTF_8));
        written.add(rel);
    }

    static String relative(String src) {
        String s = src.strip();
        while (s.startsWith("/")) s = s.substring(1);
        return s.isEmpty() ? "." : s;
    }
}
