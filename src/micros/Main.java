package micros;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import micros.cli.CheckCommand;
import micros.cli.DoctorCommand;
import micros.cli.InitCommand;
import micros.cli.RunCommand;
import micros.cli.TriggerCommand;
import micros.cli.ValidateCommand;
import micros.util.UserError;
import micros.util.Words;

/** The command line: picks a command, turns user errors into one line and an exit code. */
public final class Main {
    public static final String VERSION = micros.util.Programs.VERSION;
    static final List<String> COMMANDS = List.of("run", "check", "exec", "validate", "trigger", "invoke", "doctor", "init", "data", "gateway", "export");

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return dispatch(List.of(args), out, err);
        } catch (UserError e) {
            for (String line : e.getMessage().split("\n")) err.println("micros: " + line);
            return e.exitCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return UserError.RUNTIME;
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            err.println("micros: internal error: " + e + " (please report it; MICROS_DEBUG=1 prints the details)");
            if (System.getenv("MICROS_DEBUG") != null) e.printStackTrace(err);
            return UserError.RUNTIME;
        }
    }

    private static int dispatch(List<String> args, PrintStream out, PrintStream err) throws InterruptedException {
        String command = "run";
        List<String> rest = args;
        if (!args.isEmpty()) {
            String first = args.get(0);
            switch (first) {
                case "-h", "--help", "help" -> {
                    String topic = args.size() > 1 && COMMANDS.contains(args.get(1)) ? args.get(1) : "main";
                    out.print(help(topic));
                    return 0;
                }
                case "-V", "--version", "version" -> {
                    out.println("micros " + VERSION + " (Java " + Runtime.version() + ")");
                    return 0;
                }
                default -> {
                    if (COMMANDS.contains(first)) {
                        command = first;
                        rest = args.subList(1, args.size());
                    } else if (!first.startsWith("-") && !Files.exists(Path.of(first))) {
                        String near = Words.closest(first, COMMANDS);
                        if (near != null) throw UserError.config("unknown command '" + first + "' (did you mean '" + near + "'?); see '" + micros.util.Programs.INVOCATION + " --help'");
                    }
                }
            }
        }
        List<String> own = rest.contains("--") ? rest.subList(0, rest.indexOf("--")) : rest; // after --: a micro's input (invoke) or exec's command and its arguments
        if (own.contains("-h") || own.contains("--help")) {
            out.print(help(command));
            return 0;
        }
        return switch (command) {
            case "validate" -> ValidateCommand.run(rest, out);
            case "run" -> RunCommand.run(rest, out);
            case "check" -> CheckCommand.run(rest, out, err);
            case "exec" -> micros.cli.ExecCommand.run(rest, err);
            case "doctor" -> DoctorCommand.run(rest, out);
            case "trigger" -> TriggerCommand.run(rest, out);
            case "invoke" -> micros.cli.InvokeCommand.run(rest, out, err);
            case "init" -> InitCommand.run(rest, System.in, out, err);
            case "data" -> micros.cli.DataCommand.run(rest, out);
            case "gateway" -> micros.cli.GatewayCommand.run(rest, out);
            case "export" -> micros.cli.ExportCommand.run(rest, out);
            default -> throw UserError.config("'" + command + "' is not available yet in this build");
        };
    }

    /** The help text of a command, from the jar. */
    public static String help(String topic) {
        try (InputStream in = Main.class.getResourceAsStream("cli/help/" + topic + ".txt")) {
            if (in == null) return "no help for '" + topic + "'\n";
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "no help for '" + topic + "'\n";
        }
    }
}
