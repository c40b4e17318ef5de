package micros.runtime;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The one way a micro's output reaches a person or a file (the log, the dashboard and its state
 * API, check's table and reports, trigger): control sequences are dropped (colours kept only where
 * asked), then every secret is replaced by "[redacted]". Secrets are looked for in the text as a
 * reader sees it, without escape sequences or invisible characters, so a secret with a colour
 * change or a zero-width space inside is caught too (that line then loses its colours).
 */
public final class Redactor {
    public static final String REDACTED = "[redacted]";
    private volatile String[] secrets = {}; // longest first: a project key goes whole before its secret half

    /** A secret to hide from now on; a project key's secret half ({@code <projectid>_<secret>}) is hidden on its own too. */
    public synchronized void add(String secret) {
        if (secret == null || secret.isEmpty()) return;
        String[] more = StateDir.isProjectKey(secret) ? new String[] {secret, secret.substring(secret.indexOf('_') + 1)} : new String[] {secret};
        String[] all = Arrays.copyOf(secrets, secrets.length + more.length);
        System.arraycopy(more, 0, all, secrets.length, more.length);
        Arrays.sort(all, Comparator.comparingInt(String::length).reversed());
        secrets = all;
    }

    /** One line as it may be shown: cleaned of control sequences (but colours when {@code keepColour}), secrets redacted. */
    public String line(String raw, boolean keepColour) {
        String shown = Controls.clean(raw, keepColour);
        String[] s = secrets;
        if (s.length == 0) return shown;
        String bare = Controls.invisibleDropped(keepColour ? Controls.clean(raw, false) : shown);
        int found = 0;
        while (found < s.length && !bare.contains(s[found])) found++;
        if (found == s.length) return shown;
        for (String secret : s) bare = bare.replace(secret, REDACTED);
        return bare;
    }

    /** Several lines (a response body), each as {@link #line} without colour, joined by newlines. */
    public String text(String raw) {
        String[] lines = raw.split("\r\n|\r|\n", -1);
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < lines.length; i++) out.append(i == 0 ? "" : "\n").append(line(lines[i], false));
        return out.toString();
    }
}
