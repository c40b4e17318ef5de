package micros.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import micros.spacefile.App.Micro;

/**
 * A Python micro's environment, as Space's builder made it: its own virtualenv (made with the
 * interpreter its engine names) with requirements.txt installed, in its build folder beside its
 * stage; with --dev, the virtualenv its folder already holds (.venv, venv) if any (Space never
 * uploaded one: outside --dev the stage has none).
 */
final class PythonDeps {
    private PythonDeps() {}

    /** @param src the micro's stage, or its src folder with --dev */
    static Prepared prepare(Micro m, Path src, Context ctx) {
        String name = m.name();
        for (String own : ctx.dev() ? List.of(".venv", "venv") : List.<String>of()) {
            Path python = src.resolve(own).resolve("bin/python");
            if (Files.exists(src.resolve(own).resolve("pyvenv.cfg")) || Files.exists(python, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                return own(m, src.resolve(own), own, ctx);
        }
        Interpreters.Choice py = Interpreters.python(m.engine(), ctx.shell(), ctx.user());
        if (py.absent()) return Prepared.NOTHING; // the runtime reports a missing python3 for the whole run, with exit code 1
        if (py.failure() != null) return Prepared.failed("micro '" + name + "': " + py.failure());
        announce(m, py, ctx);
        Path requirements = src.resolve("requirements.txt");
        if (!Files.isRegularFile(requirements)) return new Prepared(null, py.program(), null);

        Path dir = ctx.dir(name), venv = dir.resolve("venv"), stampFile = dir.resolve("python.stamp");
        Path venvPython = venv.resolve("bin/python");
        String stamp = Stamp.of("python=" + real(py.program()) + "@" + py.version(), inputs(requirements));
        boolean haveVenv = Files.exists(venvPython);
        if (haveVenv && Stamp.matches(stampFile, stamp)) {
            ctx.log().micro(name, "build", "requirements.txt: up to date (virtualenv " + venv + ")");
            return usable(m, venv, ctx);
        }
        if (!ctx.install()) {
            ctx.log().micro(name, "build", "--no-install: requirements.txt not installed"
                    + (haveVenv ? "; using the virtualenv of an earlier run as it is (" + venv + ")" : ""));
            return haveVenv ? new Prepared(venv.resolve("bin"), venvPython, null).madeFrom(madeFrom(dir)) : new Prepared(null, py.program(), null);
        }
        Stamp.clear(stampFile);
        if (haveVenv && !real(py.program()).equals(read(dir.resolve("venv.python")))) {
            delete(venv); // made by another interpreter: pip's wheels would not fit
            haveVenv = false;
        }
        Map<String, String> env = ctx.toolEnv(m, Map.of("PIP_DISABLE_PIP_VERSION_CHECK", "1", "PIP_NO_INPUT", "1"), null);
        if (!haveVenv) {
            Step.Result made = Step.run(ctx, name, py.program() + " -m venv",
                    List.of(py.program().toString(), "-m", "venv", venv.toString()), src, env, dir.resolve("venv.log"), ctx.confinement(name, src));
            if (!made.ok()) return Prepared.failed("micro '" + name + "': " + made.failure());
            try {
                Files.writeString(dir.resolve("venv.python"), real(py.program()));
            } catch (IOException e) {
                return Prepared.failed("micro '" + name + "': cannot write in " + dir + ": " + e.getMessage());
            }
        }
        Step.Result pip = Step.run(ctx, name, "pip install -r requirements.txt",
                List.of(venvPython.toString(), "-m", "pip", "install", "-r", "requirements.txt"), src, env, dir.resolve("pip.log"), ctx.confinement(name, src));
        if (!pip.ok()) return Prepared.failed("micro '" + name + "': its dependencies are not installed: " + pip.failure());
        Stamp.write(stampFile, stamp);
        return usable(m, venv, ctx);
    }

    /** requirements.txt and the files it includes with -r / -c (one level), so a change to any of them reinstalls. */
    static Path[] inputs(Path requirements) {
        List<Path> files = new java.util.ArrayList<>(List.of(requirements));
        try {
            for (String line : Files.readAllLines(requirements)) {
                String t = line.strip();
                for (String flag : List.of("-r", "--requirement", "-c", "--constraint"))
                    if (t.startsWith(flag + " ") || t.startsWith(flag + "="))
                        files.add(requirements.resolveSibling(t.substring(flag.length() + 1).strip()).normalize());
            }
        } catch (IOException | RuntimeException e) {
            // the digest of requirements.txt alone still notices most changes
        }
        return files.toArray(Path[]::new);
    }

    /**
     * micros' own virtualenv, when the micro's user can run the interpreter it links to (its own
     * folder is reachable: the sandbox puts the build folder where the micro's user can enter it).
     */
    private static Prepared usable(Micro m, Path venv, Context ctx) {
        Path python = venv.resolve("bin/python");
        Path blocker = ctx.user() == null ? null : ctx.user().blocker(Path.of(real(python)));
        if (blocker != null)
            return Prepared.failed("micro '" + m.name() + "': its virtualenv " + venv + " cannot be run by " + ctx.user().who()
                    + ", the user micros run as: " + blocker + " is not open to that user (chmod o+x " + blocker
                    + "), or run with --user set to a user that can, or with --no-sandbox");
        return new Prepared(venv.resolve("bin"), python, null).madeFrom(madeFrom(ctx.dir(m.name())));
    }

    /**
     * The interpreter micros made the micro's virtualenv from, as micros wrote it down in its build folder
     * (which no step writes), or null: what the virtualenv's python links to is its build's to change.
     */
    static Path madeFrom(Path buildDir) {
        String made = read(buildDir.resolve("venv.python"));
        return made.startsWith("/") ? Path.of(made) : null;
    }

    /** --dev: a virtualenv the micro's folder holds, used as it is (micros then run as micros' own user, who made it). */
    private static Prepared own(Micro m, Path venv, String rel, Context ctx) {
        Path python = venv.resolve("bin/python");
        if (!Files.exists(python))
            return Prepared.failed("micro '" + m.name() + "': the virtualenv " + rel + " in its folder cannot be used: its interpreter " + python
                    + " is missing (" + target(python) + "). Remove it (micros then makes one from requirements.txt), or recreate it (python3 -m venv " + rel + ")");
        String version = Interpreters.version(python, List.of("-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"));
        ctx.log().micro(m.name(), "build", "uses the virtualenv in its folder, " + rel + " (Python " + version + "; "
                + ctx.ran(m) + "); micros installs nothing into it");
        return new Prepared(venv.resolve("bin"), python, null);
    }

    private static void announce(Micro m, Interpreters.Choice py, Context ctx) {
        ctx.log().micro(m.name(), "build", "runs on Python " + py.version() + " (" + py.program() + ")" + ctx.as() + "; " + ctx.ran(m)
                + (py.note().isEmpty() ? "" : "; " + py.note()));
    }

    private static String target(Path link) {
        try {
            return Files.isSymbolicLink(link) ? "a link to " + Files.readSymbolicLink(link) : "a file";
        } catch (IOException e) {
            return "unreadable";
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f).strip();
        } catch (IOException e) {
            return "";
        }
    }

    static String real(Path p) {
        try {
            return p.toRealPath().toString();
        } catch (IOException e) {
            return p.toString();
        }
    }

    static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // made again below; pip reports what is left
        }
    }
}
