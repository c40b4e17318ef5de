package micros.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;


import micros.export.BaseImages;
import micros.export.KnativeExport;
import micros.export.Names;
import micros.spacefile.App;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/** {@code micros export knative [PATH] --out DIR [--image-prefix P] [--image-tag T] [--namespace NS] [--ingress-namespace NS] [--base-image KEY=IMAGE]}: see KnativeExport. */
public final class ExportCommand {
    private ExportCommand() {}

    public static int run(List<String> args, PrintStream out) {
        Options o = Options.parse("export", args, List.of(), List.of("--out", "--image-prefix", "--image-tag", "--namespace", "--ingress-namespace",
                "--base-image", "--jar"));
        List<String> pos = o.positionals();
        if (pos.isEmpty() || !pos.get(0).equals("knative"))
            throw UserError.config("export what? write '" + micros.util.Programs.INVOCATION + " export knative [PATH] --out DIR' (knative is the one target)");
        if (pos.size() > 2) throw UserError.config("unexpected argument '" + pos.get(2) + "' (see '" + micros.util.Programs.INVOCATION + " export --help')");
        String dir = o.value("--out", null);
        if (dir == null) throw UserError.config("--out DIR is needed: the folder to write the export to");
        String ns = o.value("--namespace", "default");
        if (!Names.namespace(ns)) throw UserError.config("--namespace " + ns + ": not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63)");
        String ingress = o.value("--ingress-namespace", "kourier-system");
        if (!Names.namespace(ingress))
            throw UserError.config("--ingress-namespace " + ingress + ": not a Kubernetes namespace name (Knative's ingress runs in kourier-system, istio-system or contour-internal)");
        String prefix = o.value("--image-prefix", "");
        if (!prefix.isEmpty() && !prefix.endsWith("/")) prefix += "/";
        if (!Names.imagePrefix(prefix))
            throw UserError.config("--image-prefix " + o.value("--image-prefix", "") + ": not a registry and folder for image names"
                    + " (for example registry.example.com/team: a host, then lowercase letters, digits, '.', '_' and '-')");
        String tag = o.value("--image-tag", "1");
        if (!Names.imageTag(tag)) throw UserError.config("--image-tag " + tag + ": not an image tag (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')");
        BaseImages images = BaseImages.of(o.all("--base-image"));
        Path file = SpacefileReader.locate(pos.size() > 1 ? pos.get(1) : null);
        App app = RunOptions.load(file, out); // validates first: an invalid Spacefile is never exported
        Path jar = jar(o.value("--jar", null));
        var names = new micros.export.Manifests.Names(micros.export.Manifests.appName(app), ns, prefix, tag, ingress);
        try {
            KnativeExport.write(app, file, Path.of(dir), names, images, jar, System.getenv(), w -> out.println("warning: " + w));
            out.println("micros " + micros.util.Programs.VERSION + ": exported " + app.displayName() + " to " + dir + ": " + Path.of(dir).resolve("README.md")
                    + " says what runs where and how to build and apply it");
        } catch (IOException e) {
            throw UserError.runtime("cannot write the export to " + dir + ": " + e.getMessage());
        }
        return 0;
    }

    /** The running micros.jar (the gateway's image needs it), or --jar. */
    private static Path jar(String given) {
        if (given != null) {
            if (!Files.isRegularFile(Path.of(given))) throw UserError.config("--jar " + given + ": no such file");
            return Path.of(given);
        }
        try {
            Path self = Path.of(micros.util.Programs.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(self)) return self;
        } catch (Exception ignored) {
            // not run from a jar
        }
        throw UserError.config("run export from micros.jar (java -jar micros.jar export ...), or pass --jar PATH: the gateway's image needs it");
    }
}
