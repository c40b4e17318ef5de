package micros.cli;

import java.io.PrintStream;
import java.util.List;

import micros.runtime.RunConfig;
import micros.sandbox.Limiter;
import micros.sandbox.Sandbox;
import micros.util.Units;

/** {@code micros doctor}: which of Space's limits this machine can enforce, how, and how to fix what it cannot. */
public final class DoctorCommand {
    private DoctorCommand() {}

    public static int run(List<String> args, PrintStream out) {
        Options.parse("doctor", args, List.of(), List.of()).positional(0, "no arguments");
        RunConfig.Limits limits = RunConfig.Limits.SPACE;
        Limiter limiter = Limiter.detect(limits, System.getenv(), w -> { });
        try {
            out.println("micros doctor: which of Space's limits this machine can enforce");
            out.println();
            out.println("cgroups: " + describe(limiter));
            row(out, "timeout (" + Units.format(limits.timeout()) + ")", true, "the gateway's deadline: 504, then the micro's processes are killed");
            row(out, "payload (" + Units.formatSize(limits.payload()) + ")", true, "the gateway counts bodies: 413 for requests, 502 for responses");
            boolean cg = limiter.mode() != Limiter.Mode.NONE;
            String memoryHow = switch (limiter.mode()) {
                case V2 -> "cgroup v2 memory.max, memory.swap.max=0; OOM kills read from memory.events";
                case V1, HYBRID -> "cgroup v1 memory.limit_in_bytes and memory.memsw.limit_in_bytes; OOM kills read from memory.oom_control";
                default -> limiter.reason();
            };
            row(out, "memory (" + Units.formatSize(limits.memory()) + ")", cg, memoryHow);
            row(out, "processes (" + limits.pids() + ")", cg, cg ? "cgroup " + (limiter.mode() == Limiter.Mode.V2 ? "v2" : "v1") + " pids.max; refusals read from pids.events" : limiter.reason());
            Sandbox sb = Sandbox.detect(true, 512L << 20, Sandbox.defaultUser());
            for (Sandbox.Property p : sb.properties()) row(out, p.name(), p.on(), p.how());
            String freezing = limiter.freezing();
            row(out, "frozen between requests", freezing != null, freezing != null ? freezing + ", thawed before each request" : "it needs cgroups: " + (limiter.reason() != null ? limiter.reason() : "no freezer is mounted"));
            for (String stale : limiter.cleaned()) out.println("cleaned: the cgroups of a run that did not stop cleanly: " + stale);
            out.println();
            out.println("micros gateway (micros running elsewhere): memory, processes, the read-only filesystem and freezing are "
                    + Limiter.PLATFORM + " that runs them; the timeout and the payload limit stay micros'");
            return 0;
        } finally {
            limiter.close();
        }
    }

    private static String describe(Limiter l) {
        return switch (l.mode()) {
            case V2 -> "cgroup v2 (memory and pids controllers)";
            case V1 -> "cgroup v1 (memory and pids hierarchies)";
            case HYBRID -> "hybrid: cgroup v1 memory and pids hierarchies, and a cgroup v2 tree used for kill and tracking";
            default -> "none usable (" + l.reason() + ")";
        };
    }

    private static void row(PrintStream out, String limit, boolean ok, String how) {
        out.printf("  %-24s %-4s %s%n", limit, ok ? "yes" : "no", how);
    }
}
