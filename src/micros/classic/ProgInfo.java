package micros.classic;

import java.util.List;

/**
 * A Deta Cloud micro's {@code .deta/prog_info}, as the deta CLI wrote it (JSON): the fields
 * micros uses. {@code runtime} is what Deta ran (python3.7 ... nodejs14.x); {@code envs} are
 * names only (Deta kept the values); {@code isPublic} is true when Deta Access was off;
 * {@code cron} is the schedule {@code deta cron set} gave, empty when none.
 * {@code runtimeGuessed}: prog_info named no runtime, so the entry file chose Deta's default.
 */
public record ProgInfo(String id, String name, String runtime, boolean runtimeGuessed, String path, String project,
                       String region, List<String> envs, boolean isPublic, String cron) {

    /** The runtimes the deta CLI accepted, the default of each language first. */
    public static final List<String> PYTHON = List.of("python3.9", "python3.8", "python3.7"), NODE = List.of("nodejs14.x", "nodejs12.x");

    public boolean python() {
        return runtime.startsWith("python");
    }

    /** The entry file Deta ran: main.py exposing app, or index.js exporting it. */
    public String entry() {
        return python() ? "main.py" : "index.js";
    }

    public boolean hasCron() {
        return cron != null && !cron.isBlank();
    }
}
