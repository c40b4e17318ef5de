package micros.classic;

import java.util.ArrayList;
import java.util.List;

import micros.spacefile.App;

/** The start-up line of a Deta Cloud micro: that it is one, and what its prog_info said. */
public final class ClassicBanner {
    private ClassicBanner() {}

    public static String describe(App app) {
        ProgInfo p = app.classic();
        List<String> said = new ArrayList<>();
        if (!p.name().isEmpty()) said.add("name " + p.name());
        said.add("runtime " + p.runtime() + (p.runtimeGuessed() ? " (prog_info names none: Deta's default for " + p.entry() + ")" : "")
                + ", run here on engine " + app.micros().get(0).engine() + (p.runtime().equals(app.micros().get(0).engine().id()) ? "" : " (Space's nearest)"));
        said.add(p.isPublic() ? "public (Deta Access off)" : "Deta Access on (public: false): the owner and API keys only");
        said.add(p.hasCron() ? "cron '" + p.cron() + "' (action " + ClassicReader.CRON_ACTION + ")" : "no cron");
        if (!p.envs().isEmpty()) said.add("envs " + String.join(", ", p.envs()));
        said.add("DETA_PATH " + (p.path().isEmpty() ? app.micros().get(0).name() : p.path()));
        return "Deta Cloud micro (" + app.root().relativize(app.spacefile().toAbsolutePath().normalize()) + ", no Spacefile): " + String.join("; ", said);
    }
}
