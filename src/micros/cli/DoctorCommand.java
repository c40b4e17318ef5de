package micros.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import micros.runtime.RunConfig;
import micros.sandbox.Limiter;
import micros.sandbox.Sandbox;
import micros.util.Json;
import micros.util.Units;

/**
 * {@code micros doctor}: what micros needs on this machine and whether it is there; which of
 * Space's limits this machine can enforce, how, and how to fix what it cannot. Text or --json.
 */
public final class DoctorCommand {
    private DoctorCommand() {}

    /** One line of the report: a prerequisite or a limit, whether it is there, and how (or what to do). */
    private record Row(String name, boolean ok, String how) {
        String json() {
            return "{\"name\":" + Json.quote(name) + ",\"ok\":" + ok + ",\"how\":" + Json.quote(how) + "}";
        }
    }

    public static int run(List<String> args, PrintStream out) {
        Options o = Options.parse("doctor", args, List.of("--json"), List.of());
        o.positional(0, "no arguments");
        List<Row> needs = new ArrayList<>();
        for (Prerequisites.Check c : Prerequisites.check()) needs.add(new Row(c.name(), c.ok(), c.detail()));
        RunConfig.Limits limits = RunConfig.Limits.SPACE;
        Limiter limiter = Limiter.detect(limits, System.getenv(), w -> { });
        try {
            String cgroups = describe(limiter);
            needs.add(new Row("cgroups", limiter.mode() != Limiter.Mode.NONE, cgroups));
            List<Row> enforced = limits(limiter, limits);
            String gateway = "memory, processes, the read-only filesystem and freezing are " + Limiter.PLATFORM
                    + " that runs them; the timeout and the payload limit stay micros'";
            if (o.flag("--json")) {
                out.println("{\"prerequisites\":" + json(needs) + ",\"cgroups\":" + Json.quote(cgroups) + ",\"limits\":" + json(enforced)
                        + ",\"cleaned\":" + Json.quote(String.join("; ", limiter.cleaned())) + ",\"gateway\":" + Json.quote(gateway) + "}");
                return 0;
            }
            out.println("micros doctor: what micros needs here, and which of Space's limits this machine can enforce");
            out.println();
            out.println("prerequisites:");
            needs.forEach(r -> row(out, r));
            out.println();
            out.println("limits and isolation:");
            enforced.forEach(r -> row(out, r));
            for (String stale : limiter.cleaned()) out.println("cleaned: the cgroups of a run that did not stop cleanly: " + stale);
            out.println();
            out.println("gateway (micros running elsewhere): " + gateway);
            return 0;
        } finally {
            limiter.close();
        }
    }

    private static List<Row> limits(Limiter limiter, RunConfig.Limits limits) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("timeout (" + Units.format(limits.timeout()) + ")", true, "the gateway's deadline: 504, then the micro's processes are killed"));
        rows.add(new Row("payload (" + Units.formatSize(limits.payload()) + ")", true, "the gateway counts bodies: 413 for requests, 502 for responses"));
        boolean cg = limiter.mode() != Limiter.Mode.NONE;
        String memoryHow = switch (limiter.mode()) {
            case V2 -> "cgroup v2 memory.max, memory.swap.max=0; OOM kills read from memory.events";
            case V1, HYBRID -> "cgroup v1 memory.limit_in_bytes and memory.memsw.limit_in_bytes; OOM kills read from memory.oom_control";
            default -> limiter.reason();
        };
        rows.add(new Row("memory (" + Units.formatSize(limits.memory()) + ")", cg, memoryHow));
        rows.add(new Row("processes (" + limits.pids() + ")", cg, cg ? "cgroup " + (limiter.mode() == Limiter.Mode.V2 ? "v2" : "v1") + " pids.max; refusals read from pids.events" : limiter.reason()));
        Sandbox sb = Sandbox.detect(true, 512L << 20, Sandbox.defaultUser());
        try {
            for (Sandbox.Property p : sb.properties()) rows.add(new Row(p.name(), p.on(), p.how()));
        } finally {
            sb.close();
        }
        String freezing = limiter.freezing();
        rows.add(new Row("frozen between requests", freezing != null, freezing != null ? freezing + ", thawed before each request"
                : "it needs cgroups: " + (limiter.reason() != null ? limiter.reason() : "no freezer is mounted")));
        return rows;
    }

    private static String describe(Limiter l) {
        return switch (l.mode()) {
            case V2 -> "cgroup v2 (memory and pids controllers)";
            case V1 -> "cgroup v1 (memory and pids hierarchies)";
            case HYBRID -> "hybrid: cgroup v1 memory and pids hierarchies, and a cgroup v2 tree used for kill and tracking";
            default -> "none usable (" + l.reason() + ")";
        };
    }

    private static String json(List<Row> rows) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) sb.append(i == 0 ? "" : ",").append(rows.get(i).json());
        return sb.append(']').toString();
    }

    private static void row(PrintStream out, Row r) {
        out.printf("  %-24s %-4s %s%n", r.name(), r.ok() ? "yes" : "no", r.how());
    }
}
