package micros.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;


import micros.export.KnativeExport;
import micros.spacefile.App;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/** {@code micros export knative [PATH] --out DIR [--image-prefix P] [--namespace NS]}: see KnativeExport. */
public final class ExportCommand {
    private ExportCommand() {}

    public static int run(List<String> args, PrintStream out) {
        Options o = Options.parse("export", args, List.of(), List.of("--out", "--image-prefix", "--namespace", "--jar"));
        List<String> pos = o.positionals();
        if (pos.isEmpty() || !pos.get(0).equals("knative"))
            throw UserError.config("export what? write '" + micros.util.Programs.INVOCATION + " export knative [PATH] --out DIR' (knative is the one target)");
        if (pos.size() > 2) throw UserError.config("unexpected argument '" + pos.get(2) + "' (see '" + micros.util.Programs.INVOCATION + " export --help')");
        String dir = o.value("--out", null);
        if (dir == null) throw UserError.config("--out DIR is needed: the folder to write the export to");
        String ns = o.value("--namespace", "default");
        if (!ns.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) throw UserError.config("--namespace " + ns + ": not a Kubernetes namespace name");
        String prefix = o.value("--image-prefix", "");
        if (!prefix.isEmpty() && !prefix.endsWith("/")) prefix += "/";
        Path file = SpacefileReader.locate(pos.size() > 1 ? pos.get(1) : null);
        App app = RunOptions.load(file, out); // validates first: an invalid Spacefile is never exported
        Path jar = jar(o.value("--jar", null));
        var names = new micros.export.Manifests.Names(micros.export.Manifests.appName(app), ns, prefix);
        try {
            KnativeExport.write(app, file, Path.of(dir), names, jar, System.getenv(), w -> out.println("warning: " + w));
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
