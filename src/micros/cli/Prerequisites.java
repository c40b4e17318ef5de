package micros.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import micros.util.Programs;

/**
 * What micros needs on this machine, for `doctor`: Java, the runtimes and installers a micro's
 * engine uses, and the tools of the sandbox. Each is found on PATH and asked its version, with
 * what micros uses it for, or what to install.
 */
final class Prerequisites {
    private Prerequisites() {}

    /** One prerequisite: found (with its version and path) or not (with what to install). */
    record Check(String name, boolean ok, String detail) {}

    static List<Check> check() {
        List<Check> out = new ArrayList<>();
        Runtime.Version v = Runtime.version();
        out.add(new Check("java", v.feature() >= 17, v + " (" + Path.of(System.getProperty("java.home"), "bin", "java")
                + (v.feature() >= 17 ? ")" : "): micros needs Java 17 or later")));
        out.add(program("node", List.of("--version"), "runs nodejs16, next, nuxt and svelte-kit micros",
                "install Node.js (16 or later) for Node micros and frontend builds"));
        out.add(program("npm", List.of("--version"), "installs package.json's dependencies and builds frontends (npm run build)",
                "install npm (it comes with Node.js) for micros with a package.json"));
        out.add(program("python3", List.of("-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"), "runs python3.9 and python3.8 micros",
                "install Python 3 (apt-get install python3) for Python micros"));
        Path python = Programs.onPath("python3");
        String venv = python == null ? null : output(python, List.of("-c", "import venv, ensurepip; print('venv')"));
        out.add(new Check("python3 venv", venv != null, venv != null ? "python3 -m venv makes each Python micro's virtualenv from requirements.txt"
                : python == null ? "needs python3" : "python3 cannot make virtualenvs: install python3-venv (apt-get install python3-venv)"));
        out.add(tool("unshare", "the sandbox's namespaces (read-only filesystem, private /tmp, pid namespace) and contained builds",
                "install util-linux: without it micros runs without a sandbox"));
        out.add(tool("setpriv", "each micro runs as its own user without capabilities; builds die with micros",
                "install util-linux: without it micros runs without a sandbox"));
        out.add(tool("mkfs.ext4", "each micro's /tmp as a fresh disk-backed ext4 image",
                "install e2fsprogs: without it each micro's /tmp is a tmpfs counted in its memory limit"));
        return out;
    }

    private static Check tool(String name, String use, String install) {
        Path p = Programs.onPath(name);
        return new Check(name, p != null, p != null ? p + ": " + use : "not on PATH: " + install);
    }

    private static Check program(String name, List<String> versionArgs, String use, String install) {
        Path p = Programs.onPath(name);
        if (p == null) return new Check(name, false, "not on PATH: " + install);
        String version = output(p, versionArgs);
        if (version == null) return new Check(name, false, p + " did not run: " + install);
        return new Check(name, true, version.strip() + " (" + p + "): " + use);
    }

    /** The first line a program prints, or null when it fails or takes over 10 s. */
    private static String output(Path program, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(program.toString()));
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String text = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            if (p.exitValue() != 0) return null;
            String first = text.lines().findFirst().orElse("").strip();
            return first.isEmpty() ? null : first;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
