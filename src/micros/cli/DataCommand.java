package micros.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import micros.data.DataServer;
import micros.data.ExportZip;
import micros.runtime.StateDir;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/**
 * {@code micros data import|export|env}: the app's Deta Base and Drive outside a run. Import and
 * export work on the stored data while micros is stopped (one writer at a time), in a JVM sized
 * for a batch job ({@link BatchJvm}); env prints where the running app's data is, as Space's Data
 * Keys told scripts.
 */
public final class DataCommand {
    private DataCommand() {}

    public static int run(List<String> args, PrintStream out) {
        Options o = Options.parse("data", args, List.of("--replace"), List.of());
        List<String> pos = o.positionals();
        if (pos.isEmpty()) throw Options.usage("data", "which one? import, export or env");
        String sub = pos.get(0);
        List<String> rest = pos.subList(1, pos.size());
        return switch (sub) {
            case "import" -> importZip(rest, o.flag("--replace"), out, args);
            case "export" -> exportZip(rest, out, args);
            case "env" -> env(rest, out);
            default -> throw Options.usage("data", "unknown data command '" + sub + "': import, export or env");
        };
    }

    private static int importZip(List<String> pos, boolean replace, PrintStream out, List<String> args) {
        if (pos.isEmpty()) throw Options.usage("data", "which export? give the .zip Space's Data Export made");
        if (pos.size() > 2) throw Options.usage("data", "unexpected argument '" + pos.get(2) + "'");
        Path zip = Path.of(pos.get(0));
        if (!Files.isRegularFile(zip)) throw UserError.config("no file " + zip + ": give the .zip of a Data Export");
        StateDir state = stopped(project(pos.size() > 1 ? pos.get(1) : null));
        Integer batch = out == System.out ? BatchJvm.rerun(args) : null;
        if (batch != null) return batch;
        Path dataDir = state.path().resolve("data");
        try (DataServer data = DataServer.open(dataDir, state.projectKey())) {
            ExportZip.Counts c = ExportZip.load(zip, data, replace);
            out.println("imported " + c.describe() + " into " + dataDir);
            return 0;
        } catch (NoSuchFileException e) {
            throw UserError.config("no file " + zip);
        } catch (IOException e) {
            throw UserError.runtime("cannot import " + zip + ": " + e.getMessage());
        } catch (java.io.UncheckedIOException e) {
            throw UserError.runtime("cannot import " + zip + ": " + e.getCause().getMessage());
        }
    }

    private static int exportZip(List<String> pos, PrintStream out, List<String> args) {
        if (pos.isEmpty()) throw Options.usage("data", "where to? give the .zip file to write");
        if (pos.size() > 2) throw Options.usage("data", "unexpected argument '" + pos.get(2) + "'");
        Path zip = Path.of(pos.get(pos.size() - 1));
        if (!zip.getFileName().toString().endsWith(".zip")) throw Options.usage("data", "the export is a .zip file: give its name last (data export [PATH] FILE.zip)");
        if (Files.exists(zip)) throw UserError.config(zip + " exists already: give a new file name, or remove it first");
        StateDir state = stopped(project(pos.size() > 1 ? pos.get(0) : null));
        Integer batch = out == System.out ? BatchJvm.rerun(args) : null;
        if (batch != null) return batch;
        Path dataDir = state.path().resolve("data");
        try (DataServer data = DataServer.open(dataDir, state.projectKey())) {
            ExportZip.Counts c = ExportZip.write(zip, data);
            out.println("exported " + c.describe() + " to " + zip);
            return 0;
        } catch (IOException e) {
            throw UserError.runtime("cannot write " + zip + ": " + e.getMessage());
        }
    }

    private static int env(List<String> pos, PrintStream out) {
        if (pos.size() > 1) throw Options.usage("data", "unexpected argument '" + pos.get(1) + "'");
        Path root = project(pos.isEmpty() ? null : pos.get(0));
        StateDir state = StateDir.of(root);
        Map<String, String> run = live(state);
        if (run == null || run.get("data_host") == null)
            throw UserError.runtime("micros is not running for " + root + ": start it with 'java -jar micros.jar run', then 'data env' prints where its data is");
        out.println("# the data of the app running at " + run.get("url") + " (valid while it runs)");
        out.println("export DETA_PROJECT_KEY=" + quote(state.projectKey()));
        out.println("export DETA_BASE_HOST=" + quote(run.get("data_host")));
        out.println("export DETA_DRIVE_HOST=" + quote(run.get("data_host")));
        for (Map.Entry<String, String> v : DataServer.caEnv(Path.of(run.get("ca_bundle"))).entrySet()) out.println("export " + v.getKey() + "=" + quote(v.getValue()));
        return 0;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static Path project(String path) {
        Path file = SpacefileReader.locate(path);
        return file.toAbsolutePath().getParent();
    }

    /** The running micros' run file: a live micros process, not whatever now has the pid a killed one left (PID 1 in a container). */
    private static Map<String, String> live(StateDir state) {
        return state.liveRun().orElse(null);
    }

    /** The state folder, when no micros runs for the project (its data has one writer at a time). */
    private static StateDir stopped(Path root) {
        StateDir state = StateDir.of(root);
        Map<String, String> run = live(state);
        if (run != null) throw UserError.runtime("micros is running for " + root + " (pid " + run.get("pid") + "): stop it first, then run this again");
        return state.create();
    }
}
