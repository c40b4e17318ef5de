package micros.classic;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.AwsCron;
import micros.spacefile.Engine;
import micros.spacefile.Schedule;
import micros.util.Json;

/**
 * `micros init` for Deta Cloud micros: one Spacefile micro from each prog_info. Public stays
 * public, the runtime becomes Space's nearest engine (said in a comment), envs become presets,
 * Deta Access's API keys the api_keys preset, and the cron a scheduled action that micros'
 * deta library hands to the app.lib.cron handler, so the code runs unchanged.
 */
public final class ClassicInit {
    private ClassicInit() {}

    /** One micro's YAML (list item, indented as the Spacefile's micros) and the notes for the terminal. */
    public record Converted(String yaml, List<String> notes) {}

    /**
     * @param app      the classic micro as {@link ClassicReader} read it
     * @param name     its micro name in the Spacefile (unique)
     * @param src      its folder relative to the Spacefile ("." or "./api")
     * @param primary  whether it answers at /
     * @param actionId the cron's action id (unique across the app)
     */
    public static Converted micro(App app, String name, String src, boolean primary, String actionId) {
        ProgInfo p = app.classic();
        Micro m = app.micros().get(0);
        Engine engine = m.engine();
        List<String> notes = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        sb.append("  - name: ").append(name).append('\n');
        sb.append("    src: ").append(src).append('\n');
        sb.append("    engine: ").append(engine).append("  # Deta Cloud ran ").append(p.runtime())
                .append(p.runtime().equals(engine.id()) ? "" : "; " + engine + " is Space's nearest engine").append('\n');
        if (primary) sb.append("    primary: true\n");
        if (p.isPublic()) sb.append("    public: true  # Deta Access was off\n");
        if (!p.envs().isEmpty() || !p.isPublic()) {
            sb.append("    presets:\n");
            if (!p.envs().isEmpty()) {
                sb.append("      env:  # prog_info's envs: Deta kept the values, give them at install (micros: --env NAME=VALUE)\n");
                for (String e : p.envs()) sb.append("        - name: ").append(e).append('\n');
            }
            if (!p.isPublic()) sb.append("      api_keys: true  # Deta Access's API keys; Space takes them as X-Space-App-Key, not X-API-Key\n");
        }
        if (p.hasCron()) {
            String interval = spaceInterval(p.cron());
            if (interval == null) {
                sb.append("    # cron '").append(p.cron().strip()).append("' (deta cron set) uses what Space's five-field cron cannot say")
                        .append(" (L, W, #, or a year): add an action for it by hand\n");
                notes.add("micro '" + name + "': its cron '" + p.cron().strip() + "' has no Space form (L, W, # or a year): no action written; add one by hand");
            } else {
                sb.append("    actions:  # micros' deta library calls the app.lib.cron handler for it\n")
                        .append("      - id: ").append(actionId).append('\n')
                        .append("        name: ").append(actionId).append('\n')
                        .append("        description: ").append(Json.quote("Deta Cloud cron: " + p.cron().strip())).append('\n')
                        .append("        trigger: schedule\n")
                        .append("        default_interval: ").append(Json.quote(interval)).append('\n');
            }
        }
        if (Files.isRegularFile(app.root().resolve(".detaignore")))
            notes.add("micro '" + name + "': .detaignore is not read by Space (its lines are regular expressions): write the paths to leave out in " + src + "/.spaceignore");
        return new Converted(sb.toString(), notes);
    }

    /**
     * A Deta schedule as Space's default_interval: a rate as it is; a six-field cron as five fields
     * (? becomes *, day-of-week 1-7 becomes 0-6, the year must be *); null when it uses L, W or #.
     */
    public static String spaceInterval(String cron) {
        Schedule s = AwsCron.parseDeta(cron);
        if (s instanceof Schedule.Rate r) return r.toString();
        String[] f = cron.strip().split("\\s+");
        if (!f[5].equals("*")) return null;
        for (int i : new int[] {2, 4})
            if (f[i].toUpperCase(Locale.ROOT).matches(".*[LW#].*")) return null;
        String dom = f[2].equals("?") ? "*" : f[2];
        String dow = f[4].equals("?") ? "*" : shiftWeekdays(f[4]);
        return f[0] + " " + f[1] + " " + dom + " " + f[3] + " " + dow;
    }

    /** AWS numbers days 1-7 from Sunday, Space's cron 0-6: every number but a step goes down by one. */
    private static String shiftWeekdays(String field) {
        StringBuilder sb = new StringBuilder();
        for (String item : field.split(",")) {
            if (sb.length() > 0) sb.append(',');
            int slash = item.indexOf('/');
            String range = slash < 0 ? item : item.substring(0, slash);
            StringBuilder r = new StringBuilder();
            for (String part : range.split("-", -1)) {
                if (r.length() > 0) r.append('-');
                r.append(part.matches("[0-9]+") ? Integer.toString(Integer.parseInt(part) - 1) : part);
            }
            sb.append(r).append(slash < 0 ? "" : item.substring(slash));
        }
        return sb.toString();
    }

    /** The line saying what was found in a folder. */
    public static String found(App app) {
        ProgInfo p = app.classic();
        return "Deta Cloud micro (.deta/prog_info: runtime " + p.runtime() + (p.isPublic() ? ", public" : ", Deta Access on")
                + (p.hasCron() ? ", cron '" + p.cron().strip() + "'" : "") + ") -> engine " + app.micros().get(0).engine();
    }

    /** The micro name a classic micro gets in a Spacefile. */
    public static String name(App app) {
        return app.micros().get(0).name();
    }
}
