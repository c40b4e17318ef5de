package micros.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import micros.util.UserError;
import micros.util.Words;

/**
 * A command's parsed arguments: positionals and options ({@code --name value},
 * {@code --name=value}, or flags). Unknown options are a one-line error.
 */
public final class Options {
    private final String command;
    private final List<String> positionals = new ArrayList<>();
    private final Map<String, List<String>> values = new HashMap<>();

    private Options(String command) {
        this.command = command;
    }

    /**
     * @param flags   options without a value, such as "--dev"
     * @param valued  options that take a value, such as "--port"
     */
    public static Options parse(String command, List<String> args, List<String> flags, List<String> valued) {
        Options o = new Options(command);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                o.positionals.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                o.positionals.add(a);
                continue;
            }
            String name = a, value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (flags.contains(name)) {
                if (value != null) throw usage(command, name + " takes no value");
                o.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size()) throw usage(command, name + " needs a value");
                    value = args.get(++i);
                }
                o.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                List<String> known = new ArrayList<>(flags);
                known.addAll(valued);
                String near = Words.closest(name, known);
                throw usage(command, "unknown option " + name + (near != null ? " (did you mean " + near + "?)" : ""));
            }
        }
        return o;
    }

    static UserError usage(String command, String message) {
        return UserError.config(message + " (see '" + micros.util.Programs.INVOCATION + " " + command + " --help')");
    }

    public List<String> positionals() {
        return positionals;
    }

    /** The single positional argument, or null; more than {@code max} is an error. */
    public String positional(int max, String what) {
        if (positionals.size() > max) throw usage(command, "unexpected argument '" + positionals.get(max) + "': expected at most " + what);
        return positionals.isEmpty() ? null : positionals.get(0);
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    /** The last value given for an option, or the default. */
    public String value(String name, String fallback) {
        List<String> v = values.get(name);
        return v == null ? fallback : v.get(v.size() - 1);
    }

    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    public String command() {
        return command;
    }
}
